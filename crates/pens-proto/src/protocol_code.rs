//! Codes of the underlying protocol in place of PENS codes (CMI010 §6.3).
//!
//! CMI010 §6.3 numbers its own codes from 1000 "to avoid collision with established
//! error codes for underlying protocols (such as 400 series HTTP error codes). These
//! underlying codes shall be used when they are indicative of the error encountered."
//! So a receipt (or an answer) that reports the staging server's HTTP 404, or an FTP
//! server's 530, where the PENS code would be 1310 or 1312, is conformant. This module
//! says which protocol codes stand for which retrieval codes, once, for every check that
//! judges an error code (receipts, alerts, the answer to a collect).

use crate::error_code::ErrorCode;

/// The protocol the package is fetched with, which decides what a 3-digit code means
/// (FTP's 530 is "not logged in"; HTTP has no 530).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetrievalProtocol {
    /// `http://` or `https://`: HTTP status codes (RFC 2616 §10).
    Http,
    /// `ftp://` or `ftps://`: FTP reply codes (RFC 959 §4.2).
    Ftp,
}

impl RetrievalProtocol {
    /// The protocol of a package URL, by its scheme; `None` for any other scheme.
    pub fn of_url(url: &str) -> Option<RetrievalProtocol> {
        let scheme = url.trim().split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "http" | "https" => Some(RetrievalProtocol::Http),
            "ftp" | "ftps" => Some(RetrievalProtocol::Ftp),
            _ => None,
        }
    }

    /// The protocol's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            RetrievalProtocol::Http => "HTTP",
            RetrievalProtocol::Ftp => "FTP",
        }
    }
}

/// One protocol code and what it says.
struct Indication {
    code: u16,
    meaning: &'static str,
    /// The PENS code it is indicative of.
    pens: ErrorCode,
}

const fn ind(code: u16, meaning: &'static str, pens: ErrorCode) -> Indication {
    Indication { code, meaning, pens }
}

/// HTTP statuses with the retrieval code each one indicates (RFC 2616 §10).
const HTTP: &[Indication] = &[
    ind(400, "Bad Request", ErrorCode::INVALID_PACKAGE_URL),
    ind(401, "Unauthorized", ErrorCode::INVALID_CREDENTIALS),
    ind(403, "Forbidden", ErrorCode::INVALID_CREDENTIALS),
    ind(404, "Not Found", ErrorCode::INVALID_PACKAGE_URL),
    ind(407, "Proxy Authentication Required", ErrorCode::INVALID_CREDENTIALS),
    ind(408, "Request Timeout", ErrorCode::INVALID_PACKAGE_URL),
    ind(410, "Gone", ErrorCode::INVALID_PACKAGE_URL),
    ind(414, "Request-URI Too Long", ErrorCode::INVALID_PACKAGE_URL),
    ind(502, "Bad Gateway", ErrorCode::INVALID_PACKAGE_URL),
    ind(503, "Service Unavailable", ErrorCode::INVALID_PACKAGE_URL),
    ind(504, "Gateway Timeout", ErrorCode::INVALID_PACKAGE_URL),
];

/// FTP replies with the retrieval code each one indicates (RFC 959 §4.2).
const FTP: &[Indication] = &[
    ind(421, "service not available", ErrorCode::INVALID_PACKAGE_URL),
    ind(425, "can't open data connection", ErrorCode::INVALID_PACKAGE_URL),
    ind(426, "connection closed, transfer aborted", ErrorCode::INVALID_PACKAGE_URL),
    ind(450, "file unavailable", ErrorCode::INVALID_PACKAGE_URL),
    ind(530, "not logged in", ErrorCode::INVALID_CREDENTIALS),
    ind(532, "need account", ErrorCode::INVALID_CREDENTIALS),
    ind(550, "file unavailable (not found, no access)", ErrorCode::INVALID_PACKAGE_URL),
    ind(553, "file name not allowed", ErrorCode::INVALID_PACKAGE_URL),
];

/// Why `code`, read as a code of `protocol`, is indicative of the error the PENS code
/// `pens` names (CMI010 §6.3), or `None`. Any 4xx/5xx code of the protocol indicates
/// the general retrieval failure (1301); the specific ones also 1310 (URL missing or
/// unresponsive) or 1312 (credentials refused). Only retrieval codes have protocol
/// stand-ins: a syntax or parameter code is PENS's own business.
pub fn protocol_code_indicates(code: ErrorCode, pens: ErrorCode, protocol: RetrievalProtocol) -> Option<String> {
    if !(400..600).contains(&code.0) {
        return None;
    }
    let table = match protocol {
        RetrievalProtocol::Http => HTTP,
        RetrievalProtocol::Ftp => FTP,
    };
    let known = table.iter().find(|i| i.code == code.0);
    let described = match known {
        Some(indication) => format!("{} {} {}", protocol.name(), indication.code, indication.meaning),
        None => format!("{} {}", protocol.name(), code.0),
    };
    let indicates = pens == ErrorCode::UNABLE_TO_RETRIEVE || known.is_some_and(|i| i.pens == pens);
    indicates.then_some(described)
}

/// The first of `acceptable` PENS codes that `code` stands in for, with why.
pub fn protocol_stand_in(
    code: ErrorCode,
    acceptable: impl IntoIterator<Item = ErrorCode>,
    protocol: Option<RetrievalProtocol>,
) -> Option<(ErrorCode, String)> {
    let protocol = protocol?;
    acceptable.into_iter().find_map(|pens| protocol_code_indicates(code, pens, protocol).map(|why| (pens, why)))
}

/// The sentence a check gives when it accepts a protocol code in place of `pens`.
pub fn stand_in_note(pens: ErrorCode, why: &str) -> String {
    format!(
        "accepted as the underlying protocol's code for {pens} ({why}): CMI010 §6.3, \"these underlying codes \
         shall be used when they are indicative of the error encountered\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_codes_stand_for_the_retrieval_code_they_indicate() {
        use RetrievalProtocol::{Ftp, Http};
        let cases = [
            (404, 1310, Http, true),
            (404, 1301, Http, true),
            (404, 1312, Http, false),
            (401, 1312, Http, true),
            (403, 1312, Http, true),
            (500, 1301, Http, true),
            (500, 1310, Http, false),
            (503, 1310, Http, true),
            (530, 1312, Ftp, true),
            (530, 1312, Http, false),
            (550, 1310, Ftp, true),
            (550, 1301, Ftp, true),
            (200, 1301, Http, false),
            (302, 1301, Http, false),
            (404, 2008, Http, false),
            (404, 1432, Http, false),
        ];
        for (code, pens, protocol, expected) in cases {
            let indicates = protocol_code_indicates(ErrorCode(code), ErrorCode(pens), protocol);
            assert_eq!(indicates.is_some(), expected, "{protocol:?} {code} for {pens}: {indicates:?}");
        }
        assert_eq!(
            protocol_code_indicates(ErrorCode(530), ErrorCode(1312), Ftp).as_deref(),
            Some("FTP 530 not logged in")
        );
    }

    #[test]
    fn the_protocol_comes_from_the_package_url() {
        assert_eq!(RetrievalProtocol::of_url("HTTPS://x/p.zip"), Some(RetrievalProtocol::Http));
        assert_eq!(RetrievalProtocol::of_url("ftps://x/p.zip"), Some(RetrievalProtocol::Ftp));
        assert_eq!(RetrievalProtocol::of_url("gopher://x/p.zip"), None);
        assert_eq!(RetrievalProtocol::of_url("p.zip"), None);
        let stand_in = protocol_stand_in(ErrorCode(404), [ErrorCode(1310)], Some(RetrievalProtocol::Http));
        assert_eq!(stand_in.map(|(pens, _)| pens), Some(ErrorCode(1310)));
        assert_eq!(protocol_stand_in(ErrorCode(404), [ErrorCode(1310)], None), None);
    }
}
