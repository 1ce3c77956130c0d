//! Strings with `{…}` placeholders for per-launch values.

use std::fmt;

/// One `{…}` in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `{port:<sidecar>}`
    Port(String),
    /// `{socket:<sidecar>}`
    Socket(String),
    /// `{secret:<name>}`
    Secret(String),
    /// `{runtimeDir}`
    RuntimeDir,
    /// `{dataDir}`
    DataDir,
    /// Anything else, kept so the error can quote it.
    Unknown(String),
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Port(name) => write!(f, "{{port:{name}}}"),
            Self::Socket(name) => write!(f, "{{socket:{name}}}"),
            Self::Secret(name) => write!(f, "{{secret:{name}}}"),
            Self::RuntimeDir => f.write_str("{runtimeDir}"),
            Self::DataDir => f.write_str("{dataDir}"),
            Self::Unknown(text) => write!(f, "{{{text}}}"),
        }
    }
}

impl Placeholder {
    fn parse(inner: &str) -> Self {
        let named = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        match inner.split_once(':') {
            Some(("port", name)) if named(name) => Self::Port(name.into()),
            Some(("socket", name)) if named(name) => Self::Socket(name.into()),
            Some(("secret", name)) if named(name) => Self::Secret(name.into()),
            None if inner == "runtimeDir" => Self::RuntimeDir,
            None if inner == "dataDir" => Self::DataDir,
            _ => Self::Unknown(inner.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// A parsed template: literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Part>);

impl Template {
    /// `Err` says why the braces do not pair up.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => {
                                return Err("a '{' is not closed (write '{{' for a brace)".into())
                            }
                            Some(c) => inner.push(c),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Value(Placeholder::parse(&inner)));
                }
                '}' => return Err("a '}' closes nothing (write '}}' for a brace)".into()),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self(parts))
    }

    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.0.iter().filter_map(|part| match part {
            Part::Value(placeholder) => Some(placeholder),
            Part::Text(_) => None,
        })
    }

    /// The text with each placeholder replaced by `value(placeholder)`.
    pub fn render<E>(
        &self,
        mut value: impl FnMut(&Placeholder) -> Result<String, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value(placeholder) => out.push_str(&value(placeholder)?),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, String> {
        Template::parse(text)?.render(|p| Ok::<_, String>(format!("<{p}>")))
    }

    #[test]
    fn placeholders_are_found_among_text() {
        let template = Template::parse("--port={port:api} {secret:api-token}x").expect("parses");
        let found: Vec<_> = template.placeholders().cloned().collect();
        assert_eq!(
            found,
            [
                Placeholder::Port("api".into()),
                Placeholder::Secret("api-token".into())
            ]
        );
        assert_eq!(
            render("{runtimeDir}/a.sock").as_deref(),
            Ok("<{runtimeDir}>/a.sock")
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        assert_eq!(render(r#"{{"a": 1}}"#).as_deref(), Ok(r#"{"a": 1}"#));
    }

    #[test]
    fn anything_else_in_braces_is_unknown() {
        let template = Template::parse("{home}{port:}{Port:api}").expect("parses");
        assert!(template
            .placeholders()
            .all(|p| matches!(p, Placeholder::Unknown(_))));
    }

    #[test]
    fn unpaired_braces_are_refused() {
        assert!(Template::parse("{port:api").is_err());
        assert!(Template::parse("a}b").is_err());
        assert!(Template::parse("{a{b}").is_err());
        assert!(Template::parse("{a}{a").is_err());
    }
}
