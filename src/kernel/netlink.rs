//! The transport: a `NETLINK_AUDIT` socket that sends one request and gathers its replies.
//!
//! It moves opaque payloads and knows only netlink's own conventions (sequence numbers, the
//! NLMSG_ERROR acknowledgement, NLMSG_DONE); what the payloads mean is `kernel::wire`'s and
//! `kernel::client`'s business. Built on `rustix::net` (already a dependency; no unsafe here).
//!
//! Reply order quirk (observed on Linux 6.18): for AUDIT_GET and
//! AUDIT_LIST_RULES the kernel answers from a kernel thread, so the ack (error 0) usually
//! arrives *before* the data. A request is complete when both its ack and the data it expects
//! have arrived, in whichever order.

use crate::kernel::wire::{self, Reply, NLM_F_ACK, NLM_F_REQUEST};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{self as rnet, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
use std::time::{Duration, Instant};

/// The audit multicast group that carries every record (`AUDIT_NLGRP_READLOG`, group 1:
/// bit 0 of the bind mask). Joining it needs CAP_AUDIT_READ.
pub const AUDIT_NLGRP_READLOG: u32 = 1;

/// How long a request waits for the kernel's replies before giving up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest datagram read at once. The kernel sends each rule in its own datagram (at most
/// 1040 + 64 × 256 bytes of strings plus header); records are at most 8970 bytes.
const RECV_BUF: usize = 64 * 1024;

/// Bytes of receive queue asked for on a multicast (event) socket: 32 MiB, some 60,000
/// records of ~500 bytes with their skb overhead.
pub const MULTICAST_QUEUE: usize = 32 * 1024 * 1024;

/// Why a netlink exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A syscall on the socket failed, or the kernel answered NLMSG_ERROR with this errno.
    Errno(Errno),
    /// No complete answer within the timeout.
    Timeout,
    /// The kernel's bytes did not parse.
    Wire(wire::WireError),
}

impl From<Errno> for TransportError {
    fn from(e: Errno) -> Self {
        if e == Errno::AGAIN || e == Errno::WOULDBLOCK {
            TransportError::Timeout
        } else {
            TransportError::Errno(e)
        }
    }
}

impl From<wire::WireError> for TransportError {
    fn from(e: wire::WireError) -> Self {
        TransportError::Wire(e)
    }
}

/// What data a request expects besides its ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Only the ack (ADD_RULE, DEL_RULE, SET).
    Ack,
    /// One data message (GET).
    One,
    /// Data messages until NLMSG_DONE (LIST_RULES).
    Multi,
}

/// A bound `NETLINK_AUDIT` socket.
#[derive(Debug)]
pub struct AuditSocket {
    fd: OwnedFd,
    seq: u32,
    timeout: Duration,
    buf: Vec<u8>,
}

impl AuditSocket {
    /// A socket for requests, bound to a kernel-chosen port.
    ///
    /// Creating the socket fails with EPROTONOSUPPORT on kernels without audit; the kernel's
    /// refusal for namespaces and missing capabilities comes on the first request.
    pub fn open() -> Result<AuditSocket, TransportError> {
        AuditSocket::bind(0)
    }

    /// A socket joined to multicast `groups` (a bit mask: group N is bit N-1).
    ///
    /// The receive queue is raised to [`MULTICAST_QUEUE`] bytes (`SO_RCVBUFFORCE`, which needs
    /// CAP_NET_ADMIN; otherwise `SO_RCVBUF`, capped by `net.core.rmem_max`), so that a burst of records (a task rule records every syscall) is queued
    /// rather than dropped with ENOBUFS.
    pub fn open_multicast(groups: u32) -> Result<AuditSocket, TransportError> {
        let s = AuditSocket::bind(groups)?;
        if rnet::sockopt::set_socket_recv_buffer_size_force(&s.fd, MULTICAST_QUEUE).is_err() {
            // Best effort: a smaller queue still works, it only loses records sooner.
            let _ = rnet::sockopt::set_socket_recv_buffer_size(&s.fd, MULTICAST_QUEUE);
        }
        Ok(s)
    }

    fn bind(groups: u32) -> Result<AuditSocket, TransportError> {
        let fd = rnet::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            Some(netlink::AUDIT),
        )?;
        rnet::bind(&fd, &SocketAddrNetlink::new(0, groups))?;
        Ok(AuditSocket {
            fd,
            seq: 0,
            timeout: DEFAULT_TIMEOUT,
            buf: vec![0; RECV_BUF],
        })
    }

    /// Change how long [`AuditSocket::request`] waits for a complete answer.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Send `payload` as a message of type `kind` with REQUEST|ACK and gather the answer:
    /// the data payloads (in arrival order) once the ack and the expected data are in. An
    /// NLMSG_ERROR with a nonzero code ends the exchange with that errno. Datagrams from
    /// anyone but the kernel (sender port 0), and messages for another sequence number, are
    /// skipped. (The header's `nlmsg_pid` is no filter: the kernel's ack carries *our* port,
    /// its data replies carry 0.)
    pub fn request(
        &mut self,
        kind: u16,
        payload: &[u8],
        expect: Expect,
    ) -> Result<Vec<Vec<u8>>, TransportError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let msg = wire::encode_message(kind, NLM_F_REQUEST | NLM_F_ACK, seq, payload);
        rnet::sendto(
            &self.fd,
            &msg,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )?;

        let deadline = Instant::now() + self.timeout;
        let mut data = Vec::new();
        let (mut acked, mut complete) = (false, expect == Expect::Ack);
        while !(acked && complete) {
            let n = self.recv_datagram(deadline)?;
            for m in wire::split_messages(&self.buf[..n])? {
                if m.header.seq != seq {
                    continue;
                }
                match m.reply()? {
                    Reply::Ack => acked = true,
                    Reply::Error(errno) => {
                        return Err(TransportError::Errno(Errno::from_raw_os_error(errno)))
                    }
                    Reply::Done => complete = true,
                    Reply::Data(_, bytes) => {
                        data.push(bytes.to_vec());
                        complete |= expect == Expect::One;
                    }
                }
            }
        }
        Ok(data)
    }

    /// Receive one datagram sent by the kernel, waiting at most until `deadline`. Returns
    /// its length; the bytes are in `self.buf`.
    fn recv_datagram(&mut self, deadline: Instant) -> Result<usize, TransportError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TransportError::Timeout);
            }
            // Try without waiting first: during a listing the next datagram is usually queued
            // already, which saves a setsockopt per rule. Otherwise wait with SO_RCVTIMEO
            // (zero would mean "forever"; `left` is never zero here).
            let got = match rnet::recvfrom(&self.fd, &mut self.buf[..], RecvFlags::DONTWAIT) {
                Err(Errno::AGAIN) => {
                    let recv = rnet::sockopt::Timeout::Recv;
                    rnet::sockopt::set_socket_timeout(&self.fd, recv, Some(left))?;
                    rnet::recvfrom(&self.fd, &mut self.buf[..], RecvFlags::empty())
                }
                other => other,
            };
            let (n, _full, from) = match got {
                Ok(r) => r,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            };
            let from_kernel = from
                .and_then(|a| SocketAddrNetlink::try_from(a).ok())
                .is_none_or(|a| a.pid() == 0);
            if from_kernel {
                return Ok(n);
            }
        }
    }

    /// Receive one datagram (for multicast listeners), waiting at most until `deadline`.
    /// `Ok(None)` when the deadline passed with nothing received.
    pub fn recv_until(&mut self, deadline: Instant) -> Result<Option<&[u8]>, TransportError> {
        match self.recv_datagram(deadline) {
            Ok(n) => Ok(Some(&self.buf[..n])),
            Err(TransportError::Timeout) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
