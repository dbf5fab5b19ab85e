//! Hiding passwords: the one function every message that may hold a database URL goes through.

/// `text` with every password hidden as `***`: the password of each URL in it (`scheme://user:password@host`),
/// and the value of every `password=` or `pwd=` parameter (any case).
///
/// A password may hold `/`, `@`, `?` or `#` unencoded. A URL parser then splits it in the wrong place
/// (`postgres://u:pa/ss@w@host/db` has the authority `u:pa`), so this does not parse: the user information is
/// taken to end at the *last* `@` of the URL, and everything between the first `:` after the user name and that
/// `@` is hidden. That can hide more than the password (an `@` later in the query), never less. A URL ends at
/// whitespace, so a URL inside a longer message is redacted in place.
pub fn redact(text: &str) -> String {
    redact_params(&redact_userinfo(text))
}

/// Characters a URL scheme is made of (RFC 3986: letters, digits, `+`, `-`, `.`).
fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let scheme_len = rest[..sep].chars().rev().take_while(|&c| is_scheme_char(c)).count();
        let after = sep + 3;
        let end = rest[after..].find(char::is_whitespace).map_or(rest.len(), |e| after + e);
        let url = &rest[after..end];
        out.push_str(&rest[..after]);
        match (scheme_len > 0, url.rfind('@')) {
            (true, Some(at)) => {
                let userinfo = &url[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&url[at..]);
            }
            _ => out.push_str(url),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn redact_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        let key = ["password=", "pwd="].into_iter().find(|k| lower[i..].starts_with(k));
        let boundary = i == 0 || matches!(text.as_bytes()[i - 1], b'?' | b'&' | b';' | b' ' | b'\t' | b'\n');
        match key {
            // `***` is a value hidden already: redacting again must not eat what follows it (`password=***: ...`).
            Some(key) if boundary && !text[i + key.len()..].starts_with("***") => {
                let value_start = i + key.len();
                let value_end = text[value_start..]
                    .find(|c: char| c == '&' || c == ';' || c.is_whitespace())
                    .map_or(text.len(), |e| value_start + e);
                out.push_str(&text[copied..value_start]);
                out.push_str("***");
                copied = value_end;
                i = value_end;
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn url_passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite://driftless.db?mode=rwc"), "sqlite://driftless.db?mode=rwc");
        assert_eq!(redact("postgres://h:5432/db"), "postgres://h:5432/db");
    }

    #[test]
    fn passwords_holding_slashes_and_at_signs_are_hidden() {
        assert_eq!(redact("postgres://u:pa/ss@w@host/db"), "postgres://u:***@host/db");
        assert_eq!(redact("postgres://u:p@ss@host:5432/db"), "postgres://u:***@host:5432/db");
        assert_eq!(redact("mysql://u:a?b#c@host/db"), "mysql://u:***@host/db");
        assert_eq!(redact("postgres://u:pa%2Fss%40w@host/db"), "postgres://u:***@host/db");
    }

    #[test]
    fn password_parameters_are_hidden() {
        assert_eq!(
            redact("postgres://host/db?user=u&password=s3cret&sslmode=disable"),
            "postgres://host/db?user=u&password=***&sslmode=disable"
        );
        assert_eq!(redact("mysql://host/db?PWD=x/y@z"), "mysql://host/db?PWD=***");
        assert_eq!(redact("host=h user=u password=s3cret dbname=d"), "host=h user=u password=*** dbname=d");
        assert_eq!(redact("a new_password=kept"), "a new_password=kept");
        // A value ends at whitespace: in running text the `:` after it goes too (more hidden, never less) ...
        assert_eq!(redact("connect to h/d?password=x: refused"), "connect to h/d?password=*** refused");
        // ... but a message built around a URL redacted on its own keeps it, however often it is redacted again.
        let built = format!("could not connect to {}: refused", redact("mysql://h/d?password=x"));
        assert_eq!(built, "could not connect to mysql://h/d?password=***: refused");
        assert_eq!(redact(&built), built);
    }

    #[test]
    fn urls_inside_messages_are_hidden() {
        assert_eq!(
            redact("could not connect to postgres://u:pa/ss@w@h/db: refused; reading --to mysql://r:x@h/d"),
            "could not connect to postgres://u:***@h/db: refused; reading --to mysql://r:***@h/d"
        );
        assert_eq!(redact("no url here: a:b@c"), "no url here: a:b@c");
    }
}
