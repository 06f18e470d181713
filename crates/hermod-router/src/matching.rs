//! Topic matching: does a topic filter select a topic name (MQTT 5.0 section 4.7)?
//!
//! A topic is split into levels by `/`; every level is significant, including empty ones
//! (`a//b` has three levels, `/finance` has two). In a filter, `+` matches exactly one level
//! (which may be empty) and `#`, always the last level, matches its parent level and any number
//! of child levels. Filters whose first level is a wildcard never match topics that start with
//! `$` ([MQTT-4.7.2-1]). Matching is byte-exact: no case folding and no normalization
//! ([MQTT-4.7.3-4]).
//!
//! The matcher walks both strings once, side by side, without allocating: literal bytes are
//! compared in lockstep (a `/` in the filter can only line up with a `/` in the topic, so level
//! boundaries need no separate split), and it only stops to look at a wildcard or a mismatch.

/// Reports whether the topic filter `filter` matches the topic name `topic`.
///
/// Both strings must already be valid (the codec checks them): `topic` is a non-empty topic name
/// without wildcards, `filter` a non-empty topic filter whose `+` occupy whole levels and whose
/// `#`, if any, is the whole last level. On invalid input the result is unspecified but this
/// function does not panic.
///
/// ```
/// use hermod_router::matches;
///
/// assert!(matches("sport/tennis/+", "sport/tennis/player1"));
/// assert!(matches("sport/#", "sport"));
/// assert!(!matches("#", "$SYS/broker/uptime"));
/// ```
#[must_use]
pub fn matches(filter: &str, topic: &str) -> bool {
    let mut filter = filter.as_bytes();
    let mut topic = topic.as_bytes();

    // [MQTT-4.7.2-1]: a filter starting with a wildcard does not match a topic starting with `$`.
    // In a valid filter a first level that starts with a wildcard *is* that wildcard.
    if topic.first() == Some(&b'$') && matches!(filter.first(), Some(b'+' | b'#')) {
        return false;
    }

    loop {
        // Consume the common prefix. A topic name holds no wildcard, so the walk stops at a
        // filter wildcard at the latest; and since `/` only equals `/`, whenever it stops at a
        // wildcard both sides are at the start of a level.
        let same = common_prefix_len(filter, topic);
        // `same` is at most the length of either slice, so these cannot panic.
        filter = &filter[same..];
        topic = &topic[same..];

        match (filter.split_first(), topic.first()) {
            // Both exhausted together: every level matched.
            (None, None) => return true,
            // `#` matches this level and everything below it ([MQTT-4.7.1-1] puts it last).
            (Some((b'#', _)), _) => return true,
            // `+` matches exactly one level, possibly empty; leave the topic at its next `/` (or
            // its end) so the next round compares separators.
            (Some((b'+', rest)), _) => {
                filter = rest;
                topic = skip_level(topic);
            }
            // The topic ended at a level boundary but the filter goes on: only a trailing `#`
            // still matches, because it includes the parent level (`sport/#` matches `sport`).
            (Some((b'/', rest)), None) => return rest == b"#",
            // A literal mismatch, or one side has levels the other lacks.
            _ => return false,
        }
    }
}

/// Returns the length of the longest common prefix of `a` and `b`.
///
/// Compares eight bytes at a time first; topics are often long enough for that to pay.
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let mut len = 0;
    for (chunk_a, chunk_b) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        if chunk_a != chunk_b {
            break;
        }
        len += 8;
    }
    let tail_a = a.get(len..).unwrap_or_default();
    let tail_b = b.get(len..).unwrap_or_default();
    len + tail_a
        .iter()
        .zip(tail_b)
        .take_while(|(x, y)| x == y)
        .count()
}

/// Returns `topic` from the `/` that ends its first level, or the empty slice if there is none.
fn skip_level(topic: &[u8]) -> &[u8] {
    match topic.iter().position(|&byte| byte == b'/') {
        Some(separator) => topic.get(separator..).unwrap_or_default(),
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    // Section 4.7.1.1 (topic level separator): levels are significant, including empty ones.

    #[test]
    fn exact_filter_matches_identical_topic() {
        assert!(matches("sport/tennis/player1", "sport/tennis/player1"));
        assert!(matches("a", "a"));
        assert!(matches("/", "/"));
    }

    #[test]
    fn exact_filter_rejects_different_topic() {
        assert!(!matches("sport/tennis/player1", "sport/tennis/player2"));
        assert!(!matches("sport/tennis", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/player1", "sport/tennis"));
        assert!(!matches("sport", "sports"));
        assert!(!matches("sports", "sport"));
    }

    #[test]
    fn empty_levels_are_significant() {
        assert!(matches("a//b", "a//b"));
        assert!(!matches("a//b", "a/b"));
        assert!(!matches("a/b", "a//b"));
        assert!(!matches("a/b", "a/b/"));
        assert!(!matches("a/b/", "a/b"));
    }

    /// Section 4.7.3: "/finance" is distinct from "finance"; no normalization ([MQTT-4.7.3-4]).
    #[test]
    fn leading_separator_makes_a_distinct_topic_mqtt_4_7_3_4() {
        assert!(!matches("/finance", "finance"));
        assert!(!matches("finance", "/finance"));
        assert!(matches("/finance", "/finance"));
    }

    /// Section 4.7.3: topic names are case sensitive; no case folding ([MQTT-4.7.3-4]).
    #[test]
    fn matching_is_case_sensitive_mqtt_4_7_3_4() {
        assert!(!matches("ACCOUNTS", "Accounts"));
        assert!(!matches("Accounts/+", "accounts/payable"));
    }

    /// Section 4.7.3: "Accounts payable" is a valid topic name, spaces included.
    #[test]
    fn spaces_are_ordinary_characters() {
        assert!(matches("Accounts payable", "Accounts payable"));
        assert!(matches("+", "Accounts payable"));
        assert!(!matches("Accounts", "Accounts payable"));
    }

    #[test]
    fn multibyte_utf8_levels_compare_bytewise() {
        assert!(matches(
            "capteurs/+/température",
            "capteurs/salon/température"
        ));
        assert!(!matches("capteurs/temperature", "capteurs/température"));
        assert!(matches("天气/#", "天气/北京/温度"));
    }

    #[test]
    fn long_levels_compare_past_the_word_at_a_time_prefix() {
        let topic = "building-0123456789/floor-0123456789/room-0123456789/temperature";
        assert!(matches(topic, topic));
        assert!(matches("building-0123456789/+/room-0123456789/#", topic));
        assert!(!matches(
            "building-0123456789/floor-0123456789/room-0123456780/temperature",
            topic
        ));
    }

    // Section 4.7.1.2: the multi-level wildcard `#` ([MQTT-4.7.1-1] places it last, alone).

    /// Non-normative example: "sport/tennis/player1/#" receives player1, its ranking and scores.
    #[test]
    fn multi_level_wildcard_matches_parent_and_descendants_mqtt_4_7_1_1() {
        let filter = "sport/tennis/player1/#";
        assert!(matches(filter, "sport/tennis/player1"));
        assert!(matches(filter, "sport/tennis/player1/ranking"));
        assert!(matches(filter, "sport/tennis/player1/score/wimbledon"));
        assert!(!matches(filter, "sport/tennis/player2"));
        assert!(!matches(filter, "sport/tennis/player10"));
        assert!(!matches(filter, "sport/tennis"));
    }

    /// Non-normative example: "sport/#" also matches the singular "sport".
    #[test]
    fn multi_level_wildcard_includes_parent_level() {
        assert!(matches("sport/#", "sport"));
        assert!(matches("sport/#", "sport/"));
        assert!(!matches("sport/#", "sports"));
        assert!(!matches("sport/tennis/#", "sport"));
    }

    /// Non-normative example: "#" on its own receives every message (outside `$` topics).
    #[test]
    fn lone_multi_level_wildcard_matches_everything() {
        assert!(matches("#", "sport"));
        assert!(matches("#", "sport/tennis/player1"));
        assert!(matches("#", "/"));
        assert!(matches("#", "/finance"));
        assert!(matches("#", "a//b/"));
    }

    #[test]
    fn multi_level_wildcard_after_empty_level() {
        assert!(matches("/#", "/finance"));
        assert!(matches("/#", "/"));
        assert!(!matches("/#", "finance"));
        assert!(matches("a//#", "a//b/c"));
        assert!(matches("a//#", "a/"));
        assert!(!matches("a//#", "a/b"));
    }

    // Section 4.7.1.3: the single-level wildcard `+` ([MQTT-4.7.1-2]: it occupies a whole level).

    /// Non-normative example: "sport/tennis/+" matches player1 and player2 but not deeper levels.
    #[test]
    fn single_level_wildcard_matches_exactly_one_level_mqtt_4_7_1_2() {
        let filter = "sport/tennis/+";
        assert!(matches(filter, "sport/tennis/player1"));
        assert!(matches(filter, "sport/tennis/player2"));
        assert!(!matches(filter, "sport/tennis/player1/ranking"));
        assert!(!matches(filter, "sport/tennis"));
    }

    /// Non-normative example: "sport/+" does not match "sport" but does match "sport/".
    #[test]
    fn single_level_wildcard_matches_an_empty_level_mqtt_4_7_1_2() {
        assert!(!matches("sport/+", "sport"));
        assert!(matches("sport/+", "sport/"));
        assert!(matches("a/+/b", "a//b"));
        assert!(matches("+/", "/"));
    }

    /// Non-normative example: "/finance" matches "+/+" and "/+" but not "+".
    #[test]
    fn leading_empty_level_counts_for_single_level_wildcard_mqtt_4_7_1_2() {
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
    }

    /// Non-normative example: "+" is valid alone, and "sport/+/player1" uses it in the middle.
    #[test]
    fn single_level_wildcard_alone_and_in_the_middle_mqtt_4_7_1_2() {
        assert!(matches("+", "sport"));
        assert!(!matches("+", "sport/tennis"));
        assert!(matches("sport/+/player1", "sport/tennis/player1"));
        assert!(matches("sport/+/player1", "sport/badminton/player1"));
        assert!(!matches("sport/+/player1", "sport/tennis/player2"));
        assert!(!matches("sport/+/player1", "sport/player1"));
    }

    /// Non-normative example: "+/tennis/#" combines both wildcards.
    #[test]
    fn both_wildcards_combined() {
        assert!(matches("+/tennis/#", "sport/tennis"));
        assert!(matches("+/tennis/#", "sport/tennis/player1/ranking"));
        assert!(!matches("+/tennis/#", "sport/badminton/player1"));
        assert!(matches("+/+/#", "a/b"));
        assert!(!matches("+/+/#", "a"));
        assert!(matches("+/#", "a"));
    }

    // Section 4.7.2: topics beginning with `$`.

    /// Non-normative example: "#" does not receive messages published to "$SYS/...".
    #[test]
    fn multi_level_wildcard_does_not_match_dollar_topics_mqtt_4_7_2_1() {
        assert!(!matches("#", "$SYS"));
        assert!(!matches("#", "$SYS/monitor/Clients"));
        assert!(!matches("#", "$"));
    }

    /// Non-normative example: "+/monitor/Clients" does not receive "$SYS/monitor/Clients".
    #[test]
    fn single_level_wildcard_does_not_match_dollar_topics_mqtt_4_7_2_1() {
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(!matches("+", "$SYS"));
        assert!(!matches("+/#", "$SYS/broker/uptime"));
    }

    /// Non-normative example: "$SYS/#" and "$SYS/monitor/+" receive "$SYS/monitor/Clients".
    #[test]
    fn explicit_dollar_prefix_matches_dollar_topics_mqtt_4_7_2_1() {
        assert!(matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS"));
        assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(!matches("$SYS/#", "$SYSTEM/x"));
    }

    /// The `$` rule only concerns the first character of the topic and the filter's first level.
    #[test]
    fn dollar_rule_applies_only_to_the_first_level_mqtt_4_7_2_1() {
        assert!(matches("a/+", "a/$SYS"));
        assert!(matches("a/#", "a/$SYS/x"));
        assert!(matches("#", "a$"));
        assert!(matches("+/x", "a$/x"));
        assert!(!matches("#", "$a"));
    }
}
