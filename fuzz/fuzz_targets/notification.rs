//! Receipts and alerts on arbitrary bytes: `Notification::decode` + `check_notification`
//! (form body or query), and `decode_mail_body` + `Notification::from_mail_body` (a
//! mailed one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{CollectCommand, Notification, NotificationKind, check_mail_headers, check_notification, decode_mail_body};

fuzz_target!(|data: &[u8]| {
    let decoded = Notification::decode(data);
    let notification = &decoded.notification;
    let example = CollectCommand::example();
    for expected in [None, Some(NotificationKind::Receipt), Some(NotificationKind::Alert)] {
        let findings = check_notification(notification, expected, Some(&example));
        // No finding at all means the command and the error were understood.
        if findings.is_empty() {
            assert!(notification.kind().is_some() && notification.error_code().is_some(), "{notification:?}");
        }
    }
    let _ = check_notification(notification, None, None);
    // Form round trip: re-encoding and decoding again gives the same notification.
    let form = notification.to_form();
    let again = Notification::decode(form.as_bytes());
    assert_eq!(&again.notification, notification, "round trip through {form:?}");
    let _ = format!("{notification:?}");

    // The same bytes read as a mail body.
    let body = String::from_utf8_lossy(data);
    let mailed = Notification::from_mail_body(&body);
    // Each field comes from one line: no value (nor name) spans a line break.
    for (name, value) in mailed.pairs() {
        assert!(!name.contains('\n') && !value.contains('\n'), "{name:?}={value:?}");
    }
    let _ = check_notification(&mailed, Some(NotificationKind::Receipt), None);
    let _ = format!("{mailed:?}");
    // The full reading agrees with it, and its free text is where the body starts.
    let decoded = decode_mail_body(&body);
    assert_eq!(Notification::from_pairs(&decoded.pairs).notification, mailed);
    assert!(body.trim_start_matches(['\r', '\n']).starts_with(&decoded.free_text), "{decoded:?}");
    assert_eq!(decoded.pairs.is_empty(), decoded.findings.iter().any(|f| f.message.contains("no name=value")));
    let _ = format!("{decoded:?}");
    let _ = check_mail_headers(Some(&body), None, Some(&body));
});
