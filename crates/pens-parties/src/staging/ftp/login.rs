//! FTP logins on the staging server. FTP asks for the login before it names a file, so
//! a login cannot be judged against the plan it is meant for; it is accepted when it
//! could be meant for *some* plan, and judged against the right one at RETR
//! ([`FtpUser::judge`]):
//!
//! - `anonymous` or `ftp` with any password: an anonymous session (RFC 1635), judged as
//!   [`CredentialsPresented::None`];
//! - a user and password equal to the credentials of a currently staged plan (passwords
//!   are per-scenario secrets, so the pair names its plan);
//! - anything else: 530, and a [`FtpLoginFailure`] on record (user name, never the
//!   password), so that the runner can tell why a fetch never reached RETR.
//!
//! The password stays in the session only to be compared at RETR; no `Debug` or
//! `Display` output shows it.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use unftp_core::auth::{
    AuthenticationError, Authenticator, Credentials, Principal, UserDetail, UserDetailError, UserDetailProvider,
};

use super::FtpProtocol;
use crate::staging::{CredentialsPresented, Shared};

/// User names that log in anonymously, whatever the password (RFC 1635).
const ANONYMOUS_USERS: [&str; 2] = ["anonymous", "ftp"];

/// An FTP or FTPS login the staging server refused (530): the user and password belong
/// to no staged plan, and the user is not anonymous.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpLoginFailure {
    /// When the login was refused.
    pub at: Instant,
    /// `"ftp"` or `"ftps"`: the listener it came in on.
    pub protocol: String,
    /// The user name sent (the password is never kept).
    pub user: String,
}

/// Where refused logins are written down.
#[derive(Default)]
pub(crate) struct LoginFailures(Mutex<Vec<FtpLoginFailure>>);

impl LoginFailures {
    fn lock(&self) -> MutexGuard<'_, Vec<FtpLoginFailure>> {
        // A panic while holding the lock cannot leave a half-pushed Vec: keep going.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, failure: FtpLoginFailure) {
        self.lock().push(failure);
    }

    /// The refused logins since `since`, in the order they happened.
    pub(crate) fn since(&self, since: Instant) -> Vec<FtpLoginFailure> {
        self.lock().iter().filter(|f| f.at >= since).cloned().collect()
    }
}

/// A password, kept only to compare it; never shown.
#[derive(Clone, PartialEq, Eq)]
struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// How a session logged in.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Login {
    /// `anonymous` or `ftp`.
    Anonymous,
    /// A pair that matched a staged plan when the session logged in.
    Named { user: String, password: Password },
}

/// The user of a logged-in FTP session, as libunftp hands it to the storage back-end.
#[derive(Debug)]
pub(crate) struct FtpUser {
    login: Login,
}

impl FtpUser {
    /// An anonymous session, for tests of the storage back-end.
    #[cfg(test)]
    pub(super) fn anonymous() -> Self {
        FtpUser { login: Login::Anonymous }
    }

    /// A session that logged in as `user` with `password`, for tests.
    #[cfg(test)]
    pub(super) fn named(user: &str, password: &str) -> Self {
        FtpUser { login: Login::Named { user: user.to_owned(), password: Password(password.to_owned()) } }
    }

    /// The session's login judged against the credentials a plan `required`, at RETR.
    /// The plan may have been restaged since the login: what counts is the plan now.
    pub(super) fn judge(&self, required: Option<&(String, String)>) -> CredentialsPresented {
        match (&self.login, required) {
            (Login::Anonymous, _) => CredentialsPresented::None,
            (Login::Named { user, .. }, None) => CredentialsPresented::Unrequested { user: user.clone() },
            (Login::Named { user, password }, Some((want_user, want_password)))
                if user == want_user && password.0 == *want_password =>
            {
                CredentialsPresented::Valid
            }
            (Login::Named { user, .. }, Some(_)) => CredentialsPresented::Wrong { user: user.clone() },
        }
    }
}

impl fmt::Display for FtpUser {
    /// The user name only (libunftp writes it into its log lines).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.login {
            Login::Anonymous => f.write_str("anonymous"),
            Login::Named { user, .. } => f.write_str(user),
        }
    }
}

impl UserDetail for FtpUser {}

/// The login check of one connection: libunftp's authenticator and user-detail provider
/// in one, since the provider must know which login the authenticator accepted and is
/// handed only the user name. One per connection, so the slot in between is never shared.
pub(crate) struct Logins {
    shared: Arc<Shared>,
    protocol: FtpProtocol,
    accepted: Mutex<Option<Login>>,
}

impl Logins {
    pub(super) fn new(shared: Arc<Shared>, protocol: FtpProtocol) -> Self {
        Logins { shared, protocol, accepted: Mutex::new(None) }
    }

    fn accepted(&self) -> MutexGuard<'_, Option<Login>> {
        self.accepted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The login `user` and `password` make, if any: a staged plan's pair first (a plan
    /// may name `ftp` as its user), then the anonymous names.
    fn login(&self, user: &str, password: &str) -> Option<Login> {
        let staged_pair = self.shared.plans().values().any(|staged| {
            staged
                .plan
                .credentials
                .as_ref()
                .is_some_and(|(want_user, want_password)| want_user == user && want_password == password)
        });
        if staged_pair {
            Some(Login::Named { user: user.to_owned(), password: Password(password.to_owned()) })
        } else if ANONYMOUS_USERS.iter().any(|name| name.eq_ignore_ascii_case(user)) {
            Some(Login::Anonymous)
        } else {
            None
        }
    }
}

impl fmt::Debug for Logins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logins").field("protocol", &self.protocol).finish_non_exhaustive()
    }
}

#[async_trait]
impl Authenticator for Logins {
    async fn authenticate(&self, username: &str, creds: &Credentials) -> Result<Principal, AuthenticationError> {
        let password = creds.password.as_deref().unwrap_or_default();
        match self.login(username, password) {
            Some(login) => {
                *self.accepted() = Some(login);
                Ok(Principal { username: username.to_owned() })
            }
            None => {
                self.shared.login_failures.record(FtpLoginFailure {
                    at: Instant::now(),
                    protocol: self.protocol.as_str().to_owned(),
                    user: username.to_owned(),
                });
                Err(AuthenticationError::BadPassword)
            }
        }
    }
}

#[async_trait]
impl UserDetailProvider for Logins {
    type User = FtpUser;

    async fn provide_user_detail(&self, principal: &Principal) -> Result<FtpUser, UserDetailError> {
        match self.accepted().take() {
            Some(login) => Ok(FtpUser { login }),
            None => Err(UserDetailError::UserNotFound { username: principal.username.clone() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_login_is_judged_against_the_plan_at_retr() {
        let required = ("pens".to_owned(), "s3cret".to_owned());
        let other = ("pens".to_owned(), "other-secret".to_owned());
        let cases = [
            (FtpUser::anonymous(), Some(&required), CredentialsPresented::None),
            (FtpUser::anonymous(), None, CredentialsPresented::None),
            (FtpUser::named("pens", "s3cret"), Some(&required), CredentialsPresented::Valid),
            (FtpUser::named("pens", "s3cret"), Some(&other), CredentialsPresented::Wrong { user: "pens".into() }),
            (FtpUser::named("pens", "s3cret"), None, CredentialsPresented::Unrequested { user: "pens".into() }),
        ];
        for (user, required, expected) in cases {
            assert_eq!(user.judge(required), expected, "{user:?}");
        }
    }

    #[test]
    fn the_password_never_shows() {
        let user = FtpUser::named("pens", "s3cret");
        let shown = format!("{user:?} {user}");
        assert!(shown.contains("pens") && !shown.contains("s3cret"), "{shown}");
    }
}
