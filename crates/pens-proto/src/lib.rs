//! The AICC PENS protocol (CMI010 revision 1.0a), as data: no I/O, no async.
//!
//! PENS lets an authoring tool (the *client*) tell an LMS (the *target*) that a package
//! waits on a staging server: the client sends a [`CollectCommand`], the target answers
//! at once with a [`PensResponse`], fetches the package and reports back with a receipt
//! and alerts ([`Notification`]). This crate models those messages exactly, encodes
//! them, decodes what real implementations send (leniently), and judges them against
//! the spec: every check yields [`Finding`]s tied to a [`Requirement`] of the
//! [`CATALOGUE`], and [`assess_collect`] also says which [`ErrorCode`] a conformant
//! target owes a command ([`ExpectedAnswer`]).
//!
//! The rest of pens-conform (the parties it plays, the scenario engine, the reports)
//! builds on these types; nothing here knows about sockets or files.

mod ack_url;
mod body;
mod check_collect;
mod check_notification;
mod collect;
mod detect;
mod element;
mod error_code;
mod expected;
mod expiry;
mod finding;
mod form;
mod mail_body;
mod notification;
mod protocol_code;
mod redact_bytes;
mod requirement;
mod response;
mod uri;
mod userinfo;

pub use ack_url::{AckUrl, AckUrlError, Mailto, parse_ack_url};
pub use body::{
    MULTIPART_CONTENT_TYPE, check_post_media_type, decode_body, decode_multipart, is_multipart, media_type,
    redact_multipart,
};
pub use check_collect::{
    CheckContext, CollectAssessment, VENDOR_DATA_MIN_MAXIMUM, assess_collect, assess_decoded_collect,
};
pub use check_notification::{check_mailed_notification, check_notification, check_notification_delivery};
pub use collect::{
    COLLECT, CollectCommand, DecodedCollect, PENS_VERSION, PackageType, RESERVED_COMMANDS, RESERVED_PACKAGE_FORMATS,
    parse_pens_version,
};
pub use detect::{MessageKind, detect_kind};
pub use element::{Element, is_secret_name};
pub use error_code::{ErrorClass, ErrorCode, ErrorCodeInfo, REGISTRY};
pub use expected::{Alternative, ExpectedAnswer, Problem, Support, TargetCapabilities};
pub use expiry::{Expiry, ExpiryError, ZoneForm, format_expiry, parse_expiry};
pub use finding::{Finding, REDACTED, has_failure, redact};
pub use form::{
    DecodedForm, FORM_CONTENT_TYPE, append_query, decode_form, encode_form, looks_like_url, query_of, redact_form,
    redact_lines,
};
pub use mail_body::{DecodedMailBody, check_mail_headers, decode_mail_body};
pub use notification::{DecodedNotification, NOTIFICATION_FIELDS, Notification, NotificationKind};
pub use protocol_code::{RetrievalProtocol, protocol_code_indicates, protocol_stand_in, stand_in_note};
pub use redact_bytes::{redact_form_bytes, redact_lines_bytes};
pub use requirement::{CATALOGUE, Level, Party, Requirement, req};
pub use response::{ParsedResponse, PensResponse, RESPONSE_CONTENT_TYPE, check_content_type, parse_response};
pub use uri::{GenericUri, UriAuthority, UriError, parse_uri, uri_equivalent};
pub use userinfo::{has_userinfo_password, redact_userinfo, userinfo_of};
