//! Topic templates: `%i` is the client's index, `%c` its client id, `%%` a percent sign.

/// `template` with `%i`, `%c` and `%%` replaced; any other `%` is kept as it is.
pub fn expand(template: &str, index: u32, client_id: &str) -> String {
    let mut topic = String::with_capacity(template.len() + 16);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            topic.push(c);
            continue;
        }
        match chars.next() {
            Some('i') => topic.push_str(&index.to_string()),
            Some('c') => topic.push_str(client_id),
            Some('%') => topic.push('%'),
            Some(other) => {
                topic.push('%');
                topic.push(other);
            }
            None => topic.push('%'),
        }
    }
    topic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_client_id_are_substituted() {
        assert_eq!(expand("bench/%i/x", 12, "c"), "bench/12/x");
        assert_eq!(expand("%c/%i/%c", 3, "pub-3"), "pub-3/3/pub-3");
        assert_eq!(expand("plain/topic", 3, "id"), "plain/topic");
    }

    #[test]
    fn other_percent_signs_are_kept() {
        assert_eq!(expand("100%%/%x/%", 1, "id"), "100%/%x/%");
    }
}
