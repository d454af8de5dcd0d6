//! Closed vocabularies written as strings (`method = "post"`, `needs = ["ftp"]`) and the
//! keys of every table (`after_fetch` in `[expect.receipt]`): one macro gives each its
//! enum, names, documentation, lookup and `Display`, and the [`Keyword`] trait lets the
//! loader read any of them with one function and the same "did you mean".
//!
//! The table written in the macro is the single source of a word: the converter reads
//! it through the enum, the JSON Schemas (`schema`) and the keyword lists of the docs
//! (`docs_lists`) are generated from it, and a variant's `///` comment is both its
//! rustdoc and the text those show.

/// A closed set of names.
pub trait Keyword: Copy + 'static {
    /// What one value is called in messages, e.g. `behaviour`.
    const WHAT: &'static str;
    /// Every value, in documentation order.
    const ALL: &'static [Self];
    /// The name as written in scenario files.
    fn name(self) -> &'static str;
    /// The variant's doc comment, lines joined with a space: what the word means, for
    /// the schema's `description` and the docs.
    fn doc(self) -> String;
    /// The value of that exact name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

macro_rules! keywords {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl $crate::keyword::Keyword for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[ $( $name::$variant, )* ];
            fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }
            fn doc(self) -> String {
                let lines: &[&str] = match self {
                    $( $name::$variant => &[ $($doc),* ], )*
                };
                $crate::keyword::join_doc(lines)
            }
        }

        impl $name {
            /// The name as written in scenario files.
            pub fn name(self) -> &'static str {
                <Self as $crate::keyword::Keyword>::name(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub(crate) use keywords;

/// A doc comment's lines as one paragraph: `///` lines come with their leading space.
pub(crate) fn join_doc(lines: &[&str]) -> String {
    lines.iter().map(|line| line.trim()).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::Keyword;
    use crate::{
        BehaviourName, Capability, CredentialsExpectation, FindingsMode, InternalRequested, Method, MissingReceipt,
        NotificationDelivery, NotificationShape, Order, OtherErrors, Protocol, ResponseFormat, ScenarioLevel,
    };

    fn round_trip<K: Keyword + PartialEq + std::fmt::Debug>() {
        for &k in K::ALL {
            assert_eq!(K::from_name(k.name()), Some(k));
        }
        assert_eq!(K::from_name("nope"), None);
    }

    #[test]
    fn every_vocabulary_round_trips() {
        round_trip::<Capability>();
        round_trip::<Method>();
        round_trip::<Order>();
        round_trip::<Protocol>();
        round_trip::<CredentialsExpectation>();
        round_trip::<ResponseFormat>();
        round_trip::<OtherErrors>();
        round_trip::<MissingReceipt>();
        round_trip::<ScenarioLevel>();
        round_trip::<NotificationDelivery>();
        round_trip::<NotificationShape>();
        round_trip::<FindingsMode>();
        round_trip::<InternalRequested>();
        round_trip::<BehaviourName>();
        let names: Vec<_> = Capability::ALL.iter().map(|c| c.to_string()).collect();
        assert_eq!(names, ["ftp", "ftps", "mailto-receipt", "mailto-alerts", "alerts"]);
    }

    #[test]
    fn a_variant_s_doc_comment_is_its_documentation_in_one_line() {
        assert_eq!(ResponseFormat::Strict.doc(), "`strict`: response-format findings (CR LF, line order, ...) count.");
        assert_eq!(
            NotificationShape::Minimal.doc(),
            "`minimal`: only `command`, `package-id` and `error`, what the text makes necessary. A client that \
             refuses them is warned about, not failed."
        );
    }
}
