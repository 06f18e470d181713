//! Shared subscriptions: recognising `$share/{ShareName}/{filter}` (MQTT 5.0 section 4.8.2).
//!
//! A SUBSCRIBE or UNSUBSCRIBE topic filter that starts with `$share/` names a share group: the
//! ShareName (one level, at least one character, no `/`, `+` or `#`) and, after one more `/`, the
//! topic filter the group subscribes to. `$queue/{filter}` is accepted as an alias (as EMQX does)
//! for a share group named [`QUEUE_GROUP`]. Everything else is a plain filter.
//!
//! Like the rest of the crate this works on a string the codec has already validated as a topic
//! filter, so the filter after the ShareName is itself valid (its wildcards occupy whole levels).
//! The prefixes are case sensitive: `$SHARE/g/t` is a plain filter. Whether shared subscriptions
//! are allowed for a given session (protocol version, Shared Subscription Available, the No Local
//! ban of [MQTT-3.8.3-4]) is the core's decision, not this module's.

use thiserror::Error;

/// The group name given to `$queue/{filter}` subscriptions: `$queue/t` joins the same group as
/// `$share/$queue/t`.
pub const QUEUE_GROUP: &str = "$queue";

/// The prefix that marks a shared subscription ([MQTT-4.8.2-1]).
const SHARE_PREFIX: &str = "$share";

/// The prefix of the `$queue/{filter}` alias.
const QUEUE_PREFIX: &str = "$queue";

/// A subscription's topic filter, split into its share group (if any) and the filter to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionFilter<'a> {
    /// An ordinary (non-shared) subscription to this topic filter.
    Plain(&'a str),
    /// A shared subscription: one member of `group` receives each message matching `filter`.
    Shared {
        /// The ShareName (or [`QUEUE_GROUP`] for `$queue/…`).
        group: &'a str,
        /// The topic filter after the ShareName, matched against topic names.
        filter: &'a str,
    },
}

impl<'a> SubscriptionFilter<'a> {
    /// Returns the topic filter to match topic names against (without any `$share/…/` prefix).
    #[must_use]
    pub fn filter(&self) -> &'a str {
        match *self {
            Self::Plain(filter) | Self::Shared { filter, .. } => filter,
        }
    }

    /// Returns the share group's name, or `None` for a plain subscription.
    #[must_use]
    pub fn group(&self) -> Option<&'a str> {
        match *self {
            Self::Plain(_) => None,
            Self::Shared { group, .. } => Some(group),
        }
    }

    /// Reports whether this is a shared subscription.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Shared { .. })
    }
}

/// Why a filter that starts with `$share` or `$queue` is not a well-formed shared subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum SharedFilterError {
    /// The ShareName is missing or empty, as in `$share`, `$share/` or `$share//t` ([MQTT-4.8.2-1]).
    #[error("a shared subscription needs a ShareName of at least one character (MQTT-4.8.2-1)")]
    EmptyShareName,
    /// The ShareName contains `+` or `#`, as in `$share/+/t` ([MQTT-4.8.2-2]).
    #[error("a ShareName must not contain `+` or `#` (MQTT-4.8.2-2)")]
    InvalidShareName,
    /// The ShareName (or `$queue`) is not followed by `/` and a non-empty filter ([MQTT-4.8.2-2]).
    #[error("a ShareName must be followed by `/` and a topic filter (MQTT-4.8.2-2)")]
    MissingFilter,
}

/// Splits a validated topic filter into a plain filter or a share group and its filter.
///
/// `$share/{ShareName}/{filter}` and `$queue/{filter}` become [`SubscriptionFilter::Shared`];
/// any other filter is returned unchanged as [`SubscriptionFilter::Plain`]. The bare words
/// `$share` and `$queue` (no `/` after them) are plain one-level filters, as the codec treats
/// them: only a filter that starts with `$share/` is a shared subscription ([MQTT-4.8.2-1]). The inner
/// filter is not examined further: `$share/g/$share/h/t` is group `g` with filter `$share/h/t`.
///
/// ```
/// use hermod_router::{SubscriptionFilter, parse_subscription_filter};
///
/// assert_eq!(
///     parse_subscription_filter("$share/workers/jobs/+"),
///     Ok(SubscriptionFilter::Shared { group: "workers", filter: "jobs/+" }),
/// );
/// assert_eq!(parse_subscription_filter("jobs/+"), Ok(SubscriptionFilter::Plain("jobs/+")));
/// ```
pub fn parse_subscription_filter(s: &str) -> Result<SubscriptionFilter<'_>, SharedFilterError> {
    let (first_level, rest) = match s.split_once('/') {
        Some((first_level, rest)) => (first_level, Some(rest)),
        None => (s, None),
    };
    if rest.is_none() {
        return Ok(SubscriptionFilter::Plain(s));
    }
    match first_level {
        SHARE_PREFIX => parse_share(rest),
        QUEUE_PREFIX => match rest {
            Some(filter) if !filter.is_empty() => Ok(SubscriptionFilter::Shared {
                group: QUEUE_GROUP,
                filter,
            }),
            _ => Err(SharedFilterError::MissingFilter),
        },
        _ => Ok(SubscriptionFilter::Plain(s)),
    }
}

/// Parses what follows `$share`: `None` if nothing did, else the text after `$share/`.
fn parse_share(after_prefix: Option<&str>) -> Result<SubscriptionFilter<'_>, SharedFilterError> {
    // [MQTT-4.8.2-1]: the filter starts with `$share/` and the ShareName has a character.
    let after_prefix = after_prefix.ok_or(SharedFilterError::EmptyShareName)?;
    // The ShareName ends at the next `/`, so it cannot contain one ([MQTT-4.8.2-2]).
    let (group, filter) = match after_prefix.split_once('/') {
        Some((group, filter)) => (group, Some(filter)),
        None => (after_prefix, None),
    };
    if group.is_empty() {
        return Err(SharedFilterError::EmptyShareName);
    }
    if group.contains(['+', '#']) {
        return Err(SharedFilterError::InvalidShareName);
    }
    // [MQTT-4.8.2-2]: the ShareName is followed by `/` and a (non-empty, [MQTT-4.7.3-1]) filter.
    match filter {
        Some(filter) if !filter.is_empty() => Ok(SubscriptionFilter::Shared { group, filter }),
        _ => Err(SharedFilterError::MissingFilter),
    }
}

#[cfg(test)]
mod tests {
    use super::{QUEUE_GROUP, SharedFilterError, SubscriptionFilter, parse_subscription_filter};
    use crate::matches;

    #[test]
    fn ordinary_filters_are_plain() {
        for filter in [
            "sport/tennis/+",
            "#",
            "+",
            "/",
            "$SYS/#",
            "a//b",
            "share/g/t",
        ] {
            assert_eq!(
                parse_subscription_filter(filter),
                Ok(SubscriptionFilter::Plain(filter))
            );
        }
    }

    /// Only the exact first level `$share` (or `$queue`) is special; prefixes are case sensitive.
    #[test]
    fn lookalike_prefixes_are_plain() {
        for filter in [
            "$shared/g/t",
            "$sharegroup/t",
            "$SHARE/g/t",
            "$Queue/t",
            "$queues/t",
        ] {
            assert_eq!(
                parse_subscription_filter(filter),
                Ok(SubscriptionFilter::Plain(filter))
            );
        }
    }

    /// A well-formed shared subscription names its group and filter ([MQTT-4.8.2-1]).
    #[test]
    fn share_prefix_yields_group_and_filter_mqtt_4_8_2_1() {
        assert_eq!(
            parse_subscription_filter("$share/consumer1/sport/tennis/+"),
            Ok(SubscriptionFilter::Shared {
                group: "consumer1",
                filter: "sport/tennis/+"
            })
        );
        assert_eq!(
            parse_subscription_filter("$share/g/#"),
            Ok(SubscriptionFilter::Shared {
                group: "g",
                filter: "#"
            })
        );
    }

    /// The filter after the ShareName may itself start with `/` (an empty first level).
    #[test]
    fn shared_filter_may_start_with_an_empty_level() {
        assert_eq!(
            parse_subscription_filter("$share/g//finance"),
            Ok(SubscriptionFilter::Shared {
                group: "g",
                filter: "/finance"
            })
        );
        assert_eq!(
            parse_subscription_filter("$share/g//"),
            Ok(SubscriptionFilter::Shared {
                group: "g",
                filter: "/"
            })
        );
    }

    /// A ShareName may hold any character other than `/`, `+` and `#`, including `$` and spaces.
    #[test]
    fn share_name_allows_other_characters_mqtt_4_8_2_2() {
        for (input, group) in [
            ("$share/$queue/t", "$queue"),
            ("$share/a b/t", "a b"),
            ("$share/grüppe/t", "grüppe"),
            ("$share/$share/t", "$share"),
        ] {
            assert_eq!(
                parse_subscription_filter(input),
                Ok(SubscriptionFilter::Shared { group, filter: "t" })
            );
        }
    }

    /// `$share/` and `$share//t` have no ShareName ([MQTT-4.8.2-1]).
    #[test]
    fn empty_share_name_is_rejected_mqtt_4_8_2_1() {
        for filter in ["$share/", "$share//t", "$share//"] {
            assert_eq!(
                parse_subscription_filter(filter),
                Err(SharedFilterError::EmptyShareName),
                "{filter}"
            );
        }
    }

    /// A ShareName must not contain `+` or `#` ([MQTT-4.8.2-2]).
    #[test]
    fn wildcard_in_share_name_is_rejected_mqtt_4_8_2_2() {
        for filter in [
            "$share/+/t",
            "$share/#",
            "$share/#/t",
            "$share/a+b/t",
            "$share/g#/t",
        ] {
            assert_eq!(
                parse_subscription_filter(filter),
                Err(SharedFilterError::InvalidShareName),
                "{filter}"
            );
        }
    }

    /// The ShareName must be followed by `/` and a topic filter ([MQTT-4.8.2-2]).
    #[test]
    fn share_name_without_filter_is_rejected_mqtt_4_8_2_2() {
        for filter in ["$share/g", "$share/g/"] {
            assert_eq!(
                parse_subscription_filter(filter),
                Err(SharedFilterError::MissingFilter),
                "{filter}"
            );
        }
    }

    /// The inner filter is taken as is; nested prefixes are not interpreted again.
    #[test]
    fn nested_share_prefix_is_part_of_the_filter() {
        assert_eq!(
            parse_subscription_filter("$share/g/$share/h/t"),
            Ok(SubscriptionFilter::Shared {
                group: "g",
                filter: "$share/h/t"
            })
        );
    }

    #[test]
    fn queue_prefix_is_an_alias_with_the_fixed_group() {
        assert_eq!(
            parse_subscription_filter("$queue/jobs/#"),
            Ok(SubscriptionFilter::Shared {
                group: QUEUE_GROUP,
                filter: "jobs/#"
            })
        );
        assert_eq!(
            parse_subscription_filter("$queue/jobs/#"),
            parse_subscription_filter("$share/$queue/jobs/#")
        );
    }

    #[test]
    fn bare_prefixes_are_plain_filters() {
        for filter in ["$share", "$queue"] {
            assert_eq!(
                parse_subscription_filter(filter),
                Ok(SubscriptionFilter::Plain(filter))
            );
        }
    }

    #[test]
    fn queue_prefix_without_filter_is_rejected() {
        assert_eq!(
            parse_subscription_filter("$queue/"),
            Err(SharedFilterError::MissingFilter)
        );
    }

    #[test]
    fn accessors_expose_group_and_filter() {
        let plain = SubscriptionFilter::Plain("a/+");
        assert_eq!(
            (plain.group(), plain.filter(), plain.is_shared()),
            (None, "a/+", false)
        );
        let shared = SubscriptionFilter::Shared {
            group: "g",
            filter: "a/#",
        };
        assert_eq!(
            (shared.group(), shared.filter(), shared.is_shared()),
            (Some("g"), "a/#", true)
        );
    }

    /// Matching uses the inner filter, so the `$` rule applies to it ([MQTT-4.7.2-1]).
    #[test]
    fn shared_filter_matches_by_its_inner_filter_mqtt_4_7_2_1() {
        let parsed = parse_subscription_filter("$share/g/#");
        let filter = parsed.map(|f| f.filter());
        assert_eq!(filter, Ok("#"));
        let filter = filter.unwrap_or_default();
        assert!(matches(filter, "sport/tennis"));
        assert!(!matches(filter, "$SYS/uptime"));
        assert!(!matches(filter, "$share/g/x"));
    }

    #[test]
    fn errors_name_their_rule() {
        assert!(
            SharedFilterError::EmptyShareName
                .to_string()
                .contains("MQTT-4.8.2-1")
        );
        assert!(
            SharedFilterError::InvalidShareName
                .to_string()
                .contains("MQTT-4.8.2-2")
        );
        assert!(
            SharedFilterError::MissingFilter
                .to_string()
                .contains("MQTT-4.8.2-2")
        );
    }
}
