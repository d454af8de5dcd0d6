//! The error-code registry (CMI010 §6.3): every assigned code can be looked up by
//! number and sits in the class of its range; every other number gets its class from
//! its range alone.

use pens_proto::{ErrorClass, ErrorCode, REGISTRY};

/// The classes of CMI010 §6.3, written out independently of `ErrorCode::class`.
fn class_of_range(code: u16) -> ErrorClass {
    match code {
        0 => ErrorClass::Success,
        100..=599 => ErrorClass::UnderlyingProtocol,
        1000..=1199 => ErrorClass::General,
        1200..=1299 => ErrorClass::Syntax,
        1300..=1399 => ErrorClass::Transport,
        1400..=1499 => ErrorClass::Host,
        1500..=1599 => ErrorClass::Acknowledgement,
        2000..=9999 => ErrorClass::Parameter,
        10000..=u16::MAX => ErrorClass::ImplementationDefined,
        _ => ErrorClass::Unassigned,
    }
}

#[test]
fn every_registered_code_is_found_by_number_in_the_class_of_its_range() {
    for info in REGISTRY {
        let code = ErrorCode::from(info.code.0);
        let found = code.info().unwrap_or_else(|| panic!("{code} not found by number"));
        assert_eq!(found, info, "{code}");
        assert_eq!(info.class, class_of_range(code.0), "{code}: registry class");
        assert_eq!(code.class(), info.class, "{code}: range class");
        assert_eq!(code.describe(), info.text, "{code}");
        assert!(!info.name.is_empty() && !info.text.is_empty(), "{code}");
        assert!(info.section.starts_with("CMI010 §"), "{code}: {}", info.section);
        assert_eq!(code.is_success(), code.0 == 0, "{code}");
        assert_eq!(code.to_string(), code.0.to_string());
    }
}

#[test]
fn the_registry_holds_exactly_the_codes_of_the_digest() {
    let digest: [u16; 29] = [
        0, 1101, 1201, 1301, 1302, 1304, 1306, 1310, 1312, 1320, 1322, 1420, 1421, 1430, 1432, 1440, 1500, 1510, 1520,
        2001, 2002, 2003, 2004, 2005, 2007, 2008, 2009, 2010, 2011,
    ];
    let registered: Vec<u16> = REGISTRY.iter().map(|info| info.code.0).collect();
    assert_eq!(registered, digest);
}

#[test]
fn named_constants_carry_the_spec_numbers() {
    let constants = [
        (ErrorCode::SUCCESS, 0),
        (ErrorCode::UNABLE_TO_PARSE, 1101),
        (ErrorCode::INVALID_ARGUMENT, 1201),
        (ErrorCode::UNABLE_TO_RETRIEVE, 1301),
        (ErrorCode::HTTPS_NOT_SUPPORTED, 1302),
        (ErrorCode::FTP_NOT_SUPPORTED, 1304),
        (ErrorCode::FTPS_NOT_SUPPORTED, 1306),
        (ErrorCode::INVALID_PACKAGE_URL, 1310),
        (ErrorCode::INVALID_CREDENTIALS, 1312),
        (ErrorCode::EXPIRY_BADLY_FORMATTED, 1320),
        (ErrorCode::PACKAGE_EXPIRED, 1322),
        (ErrorCode::VERSION_NOT_SUPPORTED, 1420),
        (ErrorCode::COMMAND_NOT_SUPPORTED, 1421),
        (ErrorCode::PACKAGE_TYPE_NOT_SUPPORTED, 1430),
        (ErrorCode::INTERNAL_PACKAGE_ERROR, 1432),
        (ErrorCode::INSUFFICIENT_STORAGE, 1440),
        (ErrorCode::ACK_URL_UNREACHABLE, 1500),
        (ErrorCode::RECEIPT_PROTOCOL_NOT_SUPPORTED, 1510),
        (ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED, 1520),
        (ErrorCode::PENS_VERSION_INVALID, 2001),
        (ErrorCode::COMMAND_INVALID, 2002),
        (ErrorCode::PACKAGE_TYPE_INVALID, 2003),
        (ErrorCode::PACKAGE_TYPE_VERSION_INVALID, 2004),
        (ErrorCode::PACKAGE_FORMAT_INVALID, 2005),
        (ErrorCode::PACKAGE_ID_INVALID, 2007),
        (ErrorCode::PACKAGE_URL_INVALID, 2008),
        (ErrorCode::EXPIRY_INVALID, 2009),
        (ErrorCode::CLIENT_INVALID, 2010),
        (ErrorCode::RECEIPT_INVALID, 2011),
    ];
    for (constant, number) in constants {
        assert_eq!(constant, ErrorCode(number));
        assert!(constant.info().is_some(), "{number}");
    }
}

#[test]
fn every_number_gets_the_class_of_its_range_registered_or_not() {
    for number in 0..=u16::MAX {
        let code = ErrorCode(number);
        assert_eq!(code.class(), class_of_range(number), "{number}");
        let registered = REGISTRY.iter().any(|info| info.code == code);
        assert_eq!(code.info().is_some(), registered, "{number}");
        if !registered {
            let description = code.describe();
            match code.class() {
                ErrorClass::UnderlyingProtocol => assert!(description.contains("Underlying-protocol"), "{description}"),
                ErrorClass::ImplementationDefined => {
                    assert!(description.contains("Implementation-defined"), "{description}")
                }
                class => {
                    assert!(description.contains("not assigned"), "{description}");
                    assert!(description.contains(class.name()), "{description}");
                }
            }
            assert!(description.contains(&number.to_string()), "{description}");
        }
    }
}

#[test]
fn class_names_and_wire_form() {
    let classes = [
        (ErrorClass::Success, "success"),
        (ErrorClass::UnderlyingProtocol, "underlying-protocol"),
        (ErrorClass::General, "general"),
        (ErrorClass::Syntax, "syntax"),
        (ErrorClass::Transport, "transport"),
        (ErrorClass::Host, "host"),
        (ErrorClass::Acknowledgement, "acknowledgement"),
        (ErrorClass::Parameter, "parameter"),
        (ErrorClass::ImplementationDefined, "implementation-defined"),
        (ErrorClass::Unassigned, "unassigned"),
    ];
    for (class, name) in classes {
        assert_eq!(class.name(), name);
        assert_eq!(class.to_string(), name);
        assert_eq!(serde_json::to_value(class).unwrap(), serde_json::json!(name));
    }
    assert_eq!(serde_json::to_string(&ErrorCode(1304)).unwrap(), "1304");
    assert_eq!(serde_json::from_str::<ErrorCode>("2011").unwrap(), ErrorCode::RECEIPT_INVALID);
}
