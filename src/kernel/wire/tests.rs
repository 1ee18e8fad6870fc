//! Unit tests of the wire codecs: round trips of hand-built rules, a raw kernel dump
//! (Linux 6.18), bad input, status layouts, netlink framing.

use super::*;
use crate::model::Machine;
use proptest::prelude::*;

const X86_64: u32 = 0xC000_003E;

fn exit_rule() -> Rule {
    let mut r = Rule::new(List::Exit, Action::Always);
    r.fields
        .push(Field::num(FieldType::ARCH, Op::Equal, X86_64));
    r
}

fn key(k: &[u8]) -> Field {
    Field::str(FieldType::KEY, Op::Equal, k.to_vec())
}

fn watch(kind: FieldType, path: &str, perm: u32, k: &[u8]) -> Rule {
    let mut r = Rule::new(List::Exit, Action::Always);
    r.mask = Mask::all();
    r.fields.push(Field::str(kind, Op::Equal, path));
    r.fields.push(Field::num(FieldType::PERM, Op::Equal, perm));
    r.fields.push(key(k));
    r
}

/// Every rule here must come back identical, field for field and word for word.
fn hand_built() -> Vec<(&'static str, Rule)> {
    let mut v = Vec::new();
    v.push((
        "-w /etc/hosts -p wa -k hosts",
        watch(FieldType::PATH, "/etc/hosts", 0xa, b"hosts"),
    ));
    v.push((
        "-w /etc/ssh/ -p wa -k sshd (dir)",
        watch(FieldType::DIR, "/etc/ssh/", 0xa, b"sshd"),
    ));

    let mut r = exit_rule();
    r.mask.set(59);
    r.fields
        .push(Field::str(FieldType::EXE, Op::Equal, "/usr/bin/true"));
    r.fields.push(key(b"k1"));
    v.push(("-S execve -F exe=/usr/bin/true -k k1", r));

    let mut r = exit_rule();
    for nr in [175, 176, 313] {
        r.mask.set(nr);
    }
    r.fields.push(key(b"modules\x01mod2\x01third key"));
    v.push((
        "-S init_module,delete_module,finit_module -k modules -k mod2 ...",
        r,
    ));

    let mut r = exit_rule();
    r.mask = Mask::all();
    // -C auid!=obj_uid: AUDIT_COMPARE_AUID_TO_OBJ_UID = 7
    r.fields
        .push(Field::num(FieldType::FIELD_COMPARE, Op::NotEqual, 7));
    r.fields.push(key(b"cmp"));
    v.push(("-S all -C auid!=obj_uid -k cmp", r));

    let mut r = exit_rule();
    r.mask.set(62);
    r.fields
        .push(Field::num(FieldType::A0, Op::Equal, 0xFFFF_FFFF));
    r.fields.push(Field::num(FieldType::A1, Op::BitTest, 0x9));
    v.push(("-S kill -F a0=0xFFFFFFFF -F a1&=9", r));

    let mut r = exit_rule();
    r.mask.set(257);
    r.fields
        .push(Field::num(FieldType::EXIT, Op::Equal, (-13i32) as u32));
    r.fields
        .push(Field::num(FieldType::AUID, Op::GreaterOrEqual, 1000));
    r.fields
        .push(Field::num(FieldType::AUID, Op::NotEqual, u32::MAX));
    r.fields.push(key(b"access"));
    v.push(("-S openat -F exit=-EACCES -F auid>=1000 -F auid!=-1", r));

    let mut r = Rule::new(List::Filesystem, Action::Never);
    r.fields
        .push(Field::num(FieldType::FSTYPE, Op::Equal, 0x7472_6163));
    v.push(("-a never,filesystem -F fstype=tracefs", r));

    let mut r = Rule::new(List::Exclude, Action::Always);
    r.fields
        .push(Field::num(FieldType::MSGTYPE, Op::Equal, 1302));
    v.push(("-a always,exclude -F msgtype=PATH", r));

    let mut r = exit_rule();
    r.prepend = true;
    r.mask.set(41);
    r.fields
        .push(Field::num(FieldType::SADDR_FAM, Op::Equal, 2));
    r.fields.push(Field::num(FieldType(250), Op::Equal, 7));
    v.push(("-A ... -F saddr_fam=2 plus unknown field 250", r));

    let mut r = Rule::new(List::IoUring, Action::Always);
    r.fields.push(Field::num(FieldType::UID, Op::Equal, 0));
    r.fields
        .push(Field::str(FieldType::SUBJ_TYPE, Op::Equal, &b"x\xffy"[..]));
    v.push(("io_uring list, non-UTF-8 string", r));
    v
}

#[test]
fn hand_built_rules_round_trip() {
    for (what, rule) in hand_built() {
        let bytes = encode_rule(&rule).unwrap();
        let back = decode_rule(&bytes).unwrap();
        assert_eq!(back, rule, "{what}");
        assert_eq!(back.fields, rule.fields, "{what}");
        assert_eq!(back.mask.words(), rule.mask.words(), "{what}");
        assert_eq!(back.prepend, rule.prepend, "{what}");
        // Padding after buf (as netlink delivers it) changes nothing.
        let mut padded = bytes.clone();
        padded.resize(align4(bytes.len()) + 4, 0);
        assert_eq!(decode_rule(&padded).unwrap().fields, rule.fields, "{what}");
    }
}

/// `-w /etc/hosts -p wa -k hosts` as LIST_RULES returned it on Linux 6.18,
/// built here byte by byte, independent of the encoder.
fn kernel_dump_hosts_watch() -> Vec<u8> {
    let mut d = vec![0u8; 1040];
    let mut put = |off: usize, v: u32| d[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    put(0, 4); // flags: exit list
    put(4, 2); // always
    put(8, 3); // field_count
    for w in 0..63 {
        put(12 + 4 * w, u32::MAX);
    }
    put(12 + 4 * 63, 0x0000_FFFF);
    for (i, (f, v)) in [(105, 10), (106, 0xa), (210, 5)].into_iter().enumerate() {
        put(268 + 4 * i, f);
        put(524 + 4 * i, v);
        put(780 + 4 * i, 0x4000_0000);
    }
    put(1036, 15);
    d.extend_from_slice(b"/etc/hostshosts");
    d
}

#[test]
fn decodes_a_kernel_dump_and_encodes_it_back() {
    let dump = kernel_dump_hosts_watch();
    let rule = decode_rule(&dump).unwrap();
    assert_eq!(rule, watch(FieldType::PATH, "/etc/hosts", 0xa, b"hosts"));
    assert_eq!(
        crate::model::listing::list_rule(&rule, Machine::X86_64),
        b"-w /etc/hosts -p wa -k hosts"
    );
    assert_eq!(encode_rule(&rule).unwrap(), dump);
}

#[test]
fn exe_consumes_its_string_so_the_key_after_it_is_intact() {
    // netlink-packet-audit 0.7 decodes this key as "/u".
    let (_, rule) = hand_built().swap_remove(2);
    let back = decode_rule(&encode_rule(&rule).unwrap()).unwrap();
    assert_eq!(back.keys(), vec![&b"k1"[..]]);
    assert_eq!(
        back.fields_of(FieldType::EXE).next().unwrap().bytes(),
        Some(&b"/usr/bin/true"[..])
    );
}

#[test]
fn prepend_is_a_flag_not_a_list() {
    let mut r = exit_rule();
    r.prepend = true;
    let bytes = encode_rule(&r).unwrap();
    assert_eq!(&bytes[0..4], &(4u32 | AUDIT_FILTER_PREPEND).to_ne_bytes());
    let back = decode_rule(&bytes).unwrap();
    assert_eq!(back.list, List::Exit);
    assert!(back.prepend);
}

#[test]
fn loginuid_set_zero_lists_as_auid_minus_one() {
    let mut r = exit_rule();
    r.fields
        .push(Field::num(FieldType::LOGINUID_SET, Op::NotEqual, 0));
    let back = decode_rule(&encode_rule(&r).unwrap()).unwrap();
    assert_eq!(
        back.fields[1],
        Field::num(FieldType::AUID, Op::NotEqual, u32::MAX)
    );
    // loginuid_set=1 has no auid spelling with the same operator: kept as it is.
    r.fields[1] = Field::num(FieldType::LOGINUID_SET, Op::Equal, 1);
    let back = decode_rule(&encode_rule(&r).unwrap()).unwrap();
    assert_eq!(back.fields[1], r.fields[1]);
}

#[test]
fn unknown_field_numbers_are_numeric() {
    let mut r = exit_rule();
    r.fields
        .push(Field::num(FieldType(999), Op::Other(0x7000_0000), 5));
    r.fields.push(key(b"after"));
    let back = decode_rule(&encode_rule(&r).unwrap()).unwrap();
    assert_eq!(back.fields, r.fields);
}

#[test]
fn too_many_fields_is_an_error_both_ways() {
    let mut r = exit_rule();
    r.fields = vec![Field::num(FieldType::UID, Op::Equal, 0); 65];
    assert_eq!(encode_rule(&r), Err(WireError::TooManyFields(65)));
    let mut bytes = encode_rule(&exit_rule()).unwrap();
    bytes[8..12].copy_from_slice(&65u32.to_ne_bytes());
    assert_eq!(decode_rule(&bytes), Err(WireError::TooManyFields(65)));
}

#[test]
fn truncated_rules_are_errors() {
    let bytes = encode_rule(&hand_built()[2].1).unwrap();
    for cut in 0..bytes.len() {
        assert!(decode_rule(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn string_lengths_past_buf_are_errors() {
    let mut bytes = kernel_dump_hosts_watch();
    // key length 5 -> 6: one byte past buflen
    bytes[524 + 8..524 + 12].copy_from_slice(&6u32.to_ne_bytes());
    assert_eq!(
        decode_rule(&bytes),
        Err(WireError::StringOutOfBounds {
            index: 2,
            kind: 210
        })
    );
    // a huge length must not overflow
    bytes[524..528].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert!(matches!(
        decode_rule(&bytes),
        Err(WireError::StringOutOfBounds { index: 0, .. })
    ));
    // a buflen past the data
    let mut bytes = kernel_dump_hosts_watch();
    bytes[1036..1040].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert!(matches!(
        decode_rule(&bytes),
        Err(WireError::Truncated { .. })
    ));
}

proptest! {
    #[test]
    fn decode_never_panics_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let _ = decode_rule(&data);
        let _ = Status::decode(&data);
        let _ = split_messages(&data);
    }

    #[test]
    fn decode_never_panics_on_mutated_rules(
        idx in 0usize..1100, byte in any::<u8>(), which in 0usize..11
    ) {
        let mut bytes = encode_rule(&hand_built()[which].1).unwrap();
        if idx < bytes.len() {
            bytes[idx] = byte;
        }
        let _ = decode_rule(&bytes);
    }
}

fn status_words(n: usize) -> Vec<u8> {
    (0..n as u32)
        .map(|i| i + 1)
        .flat_map(|w| w.to_ne_bytes())
        .collect()
}

#[test]
fn status_of_32_40_44_bytes() {
    let s = Status::decode(&status_words(8)).unwrap();
    assert_eq!((s.mask, s.enabled, s.backlog), (1, 2, 8));
    assert_eq!(s.feature_bitmap, None);
    assert_eq!(s.backlog_wait_time, None);

    let s = Status::decode(&status_words(10)).unwrap();
    assert_eq!(s.feature_bitmap, Some(9));
    assert_eq!(s.backlog_wait_time, Some(10));
    assert_eq!(s.backlog_wait_time_actual, None);

    let s = Status::decode(&status_words(11)).unwrap();
    assert_eq!(s.backlog_wait_time_actual, Some(11));
    assert_eq!(s.encode(), status_words(11));

    assert!(Status::decode(&status_words(7)).is_err());
    assert_eq!(Status::decode(&status_words(12)).unwrap(), s);
}

#[test]
fn status_set_enabled_selects_only_enabled() {
    let bytes = Status::set_enabled(1).encode();
    assert_eq!(bytes.len(), STATUS_LEN);
    assert_eq!(&bytes[0..4], &STATUS_ENABLED.to_ne_bytes());
    assert_eq!(&bytes[4..8], &1u32.to_ne_bytes());
    assert!(bytes[8..].iter().all(|b| *b == 0));
}

#[test]
fn request_is_padded_like_libaudit() {
    let m = encode_message(AUDIT_ADD_RULE, NLM_F_REQUEST | NLM_F_ACK, 7, &[1, 2, 3]);
    assert_eq!(m.len(), 20);
    let h = Header::decode(&m).unwrap();
    assert_eq!((h.len, h.kind, h.flags, h.seq, h.pid), (20, 1011, 5, 7, 0));
}

fn reply(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    // As the kernel frames replies: nlmsg_len unpadded, next message 4-aligned.
    let mut m = Vec::new();
    m.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(payload);
    m.resize(align4(m.len()), 0);
    m
}

#[test]
fn splits_unpadded_multipart_replies() {
    let rule = kernel_dump_hosts_watch(); // 1055 bytes: nlmsg_len 1071, not a multiple of 4
    let mut err = (-17i32).to_ne_bytes().to_vec();
    err.extend_from_slice(&[0; 16]);
    let mut d = reply(NLMSG_ERROR, 0, 3, &0i32.to_ne_bytes());
    d.extend(reply(AUDIT_LIST_RULES, NLM_F_MULTI, 3, &rule));
    d.extend(reply(AUDIT_LIST_RULES, NLM_F_MULTI, 3, &rule));
    d.extend(reply(NLMSG_DONE, NLM_F_MULTI, 3, &0i32.to_ne_bytes()));
    d.extend(reply(NLMSG_ERROR, 0, 4, &err));
    let msgs = split_messages(&d).unwrap();
    let replies: Vec<_> = msgs.iter().map(|m| m.reply().unwrap()).collect();
    assert_eq!(replies.len(), 5);
    assert_eq!(replies[0], Reply::Ack);
    assert_eq!(replies[1], Reply::Data(AUDIT_LIST_RULES, &rule[..]));
    assert_eq!(msgs[1].header.len, 16 + 1055);
    assert_eq!(replies[2], Reply::Data(AUDIT_LIST_RULES, &rule[..]));
    assert_eq!(replies[3], Reply::Done);
    assert_eq!(replies[4], Reply::Error(17));
    assert_eq!(msgs[4].header.seq, 4);
}

#[test]
fn bad_netlink_lengths_are_errors() {
    let mut d = reply(AUDIT_GET, 0, 1, &[0; 44]);
    d[0..4].copy_from_slice(&8u32.to_ne_bytes());
    assert!(matches!(
        split_messages(&d),
        Err(WireError::BadLength { len: 8, .. })
    ));
    d[0..4].copy_from_slice(&100u32.to_ne_bytes());
    assert!(matches!(
        split_messages(&d),
        Err(WireError::BadLength { len: 100, .. })
    ));
    let short_err = reply(NLMSG_ERROR, 0, 1, &[0, 0]);
    assert!(split_messages(&short_err).unwrap()[0].reply().is_err());
}
