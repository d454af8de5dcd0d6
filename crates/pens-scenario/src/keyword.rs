//! Closed vocabularies written as strings (`method = "post"`, `needs = ["ftp"]`): one
//! macro gives each its enum, names, lookup and `Display`, and the [`Keyword`] trait lets
//! the loader read any of them with one function and the same "did you mean".

/// A closed set of names.
pub trait Keyword: Copy + 'static {
    /// What one value is called in messages, e.g. `behaviour`.
    const WHAT: &'static str;
    /// Every value, in documentation order.
    const ALL: &'static [Self];
    /// The name as written in scenario files.
    fn name(self) -> &'static str;
    /// The value of that exact name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

macro_rules! keywords {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $crate::keyword::Keyword for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[ $( $name::$variant, )* ];
            fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
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
}
