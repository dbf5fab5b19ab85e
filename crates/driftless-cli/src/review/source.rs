//! Telling an edit that matters from one that does not, on the text of a migration file: comments, layout, the
//! `.class(...)` label and the `.acknowledged(...)` call are not part of what the migrator checksums, so filling in
//! an acknowledgement on a migration that is already on the base branch is not an "edit" that breaks databases.
//!
//! This is a small Rust lexer, not a parser: it keeps string and character literals whole, drops comments and
//! whitespace, and removes those two calls with their balanced parentheses.

/// A piece of Rust source text: a literal kept whole, or one other character.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Char(char),
}

fn pieces(src: &str) -> Vec<Piece> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c.is_whitespace() {
            i += 1;
        } else if let Some(end) = raw_string_end(&chars, i) {
            out.push(Piece::Literal(chars[i..end].iter().collect()));
            i = end;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            out.push(Piece::Literal(chars[start..i].iter().collect()));
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\''); otherwise `'` starts a lifetime and is an ordinary character.
            let start = i;
            i += if next == Some('\\') { 3 } else { 2 };
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.push(Piece::Literal(chars[start..i].iter().collect()));
        } else {
            out.push(Piece::Char(c));
            i += 1;
        }
    }
    out
}

/// The end of a raw string literal (`r"..."`, `r#"..."#`, `br"..."`) starting at `i`, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && chars[j + 1..].iter().take(hashes).filter(|c| **c == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The calls the checksum does not cover (`.online(...)` changes how the steps run on PostgreSQL, not what they do).
const UNCHECKED_CALLS: [&str; 3] = [".acknowledged(", ".class(", ".online("];

/// The file's code without comments, whitespace and the calls the checksum does not cover.
fn significant(src: &str) -> Vec<Piece> {
    let all = pieces(src);
    let calls: Vec<Vec<Piece>> = UNCHECKED_CALLS.iter().map(|c| c.chars().map(Piece::Char).collect()).collect();
    let mut out = Vec::with_capacity(all.len());
    let mut i = 0;
    while i < all.len() {
        if let Some(call) = calls.iter().find(|c| all[i..].starts_with(c)) {
            // Skip to the parenthesis closing the call's.
            let mut depth = 0usize;
            i += call.len() - 1;
            while i < all.len() {
                match all[i] {
                    Piece::Char('(') => depth += 1,
                    Piece::Char(')') => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            continue;
        }
        out.push(all[i].clone());
        i += 1;
    }
    out
}

/// Whether two versions of a migration file differ only in comments, layout, the label or the acknowledgement.
pub(crate) fn same_code(a: &str, b: &str) -> bool {
    significant(a) == significant(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"//! Generated. Class: dangerous
use driftless::migration::prelude::*;

/// The migration.
pub fn migration() -> Migration {
    Migration::new("m1")
        .class(Class::Dangerous)
        .acknowledged("", "")
        .up([drop_column("users", column("nickname", ColumnType::Text))])
        .down([add_column("users", column("nickname", ColumnType::Text))])
}
"#;

    #[test]
    fn acknowledgement_label_comments_and_layout_do_not_count() {
        let acked = FILE
            .replace(".acknowledged(\"\", \"\")", ".acknowledged(\"ana (DBA)\", r#\"nobody read \"it\" (checked)\"#)")
            .replace("//! Generated.", "//! Generated (reviewed).");
        assert!(same_code(FILE, &acked));
        let relaid = FILE.replace("\n        .up(", " .up(").replace("/// The migration.\n", "/* block */");
        assert!(same_code(FILE, &relaid));
        assert!(same_code(FILE, &FILE.replace("Class::Dangerous", "Class::Safe")));
        assert!(same_code(FILE, &FILE.replace(".class(Class::Dangerous)", ".class(Class::Dangerous).online(false)")));
    }

    #[test]
    fn steps_and_literals_count() {
        assert!(!same_code(
            FILE,
            &FILE.replace(
                "\"nickname\", ColumnType::Text))])\n        .down",
                "\"nick\", ColumnType::Text))])\n        .down"
            )
        ));
        assert!(!same_code(FILE, &FILE.replace("Migration::new(\"m1\")", "Migration::new(\"m2\")")));
        // Whitespace inside a string literal is part of the value.
        assert!(!same_code("f(\"a b\")", "f(\"ab\")"));
        assert!(same_code("f('x', \"a\\\"b\") // c", "f( 'x' ,\"a\\\"b\")"));
        assert!(!same_code("f('(')", "f(')')"));
    }
}
