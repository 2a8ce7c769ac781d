//! DataFusion's protobuf schema, read from the `.proto` files of the datafusion-proto crates that
//! Cargo.lock pins (`build.rs` puts them in `OUT_DIR`), so the walk knows which field of which
//! message holds which message without a hand-written table.
//!
//! Only what the walk needs is kept: for each message, its fields by number, whether each is
//! repeated, and the message type of those that are messages (map fields as repeated entry
//! messages, as on the wire).

use std::collections::HashMap;

const FILES: [(&str, &str); 2] = [
    ("datafusion_common.proto", include_str!(concat!(env!("OUT_DIR"), "/datafusion_common.proto"))),
    ("datafusion.proto", include_str!(concat!(env!("OUT_DIR"), "/datafusion.proto"))),
];

/// A message type: an index into [`Schema::messages`].
pub type MessageId = usize;

pub struct Message {
    /// The fully qualified name, e.g. `datafusion.BinaryExprNode`.
    pub name: String,
    /// The fields by number.
    pub fields: Fields,
}

/// A message's fields by number: a table indexed by the number for the small numbers every
/// DataFusion message uses, so that the walk's lookup per field read is one bounds check (a
/// hashed map made the check a third of `from_bytes`); larger numbers in a sorted list.
#[derive(Default)]
pub struct Fields {
    dense: Vec<Option<Field>>,
    sparse: Vec<(u32, Field)>,
}

impl Fields {
    /// Numbers below this are kept in the table.
    const DENSE: u32 = 1024;

    pub fn get(&self, number: u32) -> Option<&Field> {
        if number < Self::DENSE {
            self.dense.get(number as usize).and_then(Option::as_ref)
        } else {
            let at = self.sparse.binary_search_by_key(&number, |(n, _)| *n).ok()?;
            Some(&self.sparse[at].1)
        }
    }

    /// Adds `field` as `number`; false if that number was already declared.
    fn insert(&mut self, number: u32, field: Field) -> bool {
        if number < Self::DENSE {
            let at = number as usize;
            if self.dense.len() <= at {
                self.dense.resize(at + 1, None);
            }
            self.dense[at].replace(field).is_none()
        } else {
            match self.sparse.binary_search_by_key(&number, |(n, _)| *n) {
                Ok(_) => false,
                Err(at) => {
                    self.sparse.insert(at, (number, field));
                    true
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
pub struct Field {
    /// The field's message type; `None` for scalars, strings, bytes and enums.
    pub message: Option<MessageId>,
    pub repeated: bool,
}

pub struct Schema {
    pub messages: Vec<Message>,
    by_name: HashMap<String, MessageId>,
}

impl Schema {
    /// The schema of the locked `.proto` files.
    pub fn datafusion() -> Result<Self, String> {
        let mut parser = Parser::default();
        for (file, text) in FILES {
            parser.file(text).map_err(|e| format!("{file}: {e}"))?;
        }
        parser.resolve()
    }

    pub fn id(&self, name: &str) -> Result<MessageId, String> {
        self.by_name.get(name).copied().ok_or_else(|| format!("no message {name} in the schema"))
    }
}

/// A field as declared, before type names are resolved.
struct Declared {
    owner: MessageId,
    number: u32,
    type_name: String,
    repeated: bool,
}

#[derive(Default)]
struct Parser {
    messages: Vec<Message>,
    by_name: HashMap<String, MessageId>,
    enums: Vec<String>,
    declared: Vec<Declared>,
}

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

impl Parser {
    fn file(&mut self, text: &str) -> Result<(), String> {
        let tokens = tokenize(text)?;
        let mut t = Tokens { tokens, at: 0 };
        let mut package = String::new();
        while let Some(word) = t.next() {
            match word {
                "syntax" | "option" | "import" => t.skip_statement(),
                ";" => {} // an empty statement
                "package" => {
                    package = t.word()?.to_string();
                    t.expect(";")?;
                }
                "message" => self.message(&mut t, &package)?,
                "enum" => self.enumeration(&mut t, &package)?,
                other => return Err(format!("unexpected `{other}` at the top level")),
            }
        }
        Ok(())
    }

    fn message(&mut self, t: &mut Tokens<'_>, scope: &str) -> Result<(), String> {
        let name = format!("{scope}.{}", t.word()?);
        let id = self.messages.len();
        self.messages.push(Message { name: name.clone(), fields: Fields::default() });
        self.by_name.insert(name.clone(), id);
        t.expect("{")?;
        self.body(t, id, &name, "}")
    }

    /// The fields and nested declarations of message `id` (named `scope`), up to `end`.
    fn body(
        &mut self,
        t: &mut Tokens<'_>,
        id: MessageId,
        scope: &str,
        end: &str,
    ) -> Result<(), String> {
        loop {
            let word = t.word()?;
            match word {
                w if w == end => return Ok(()),
                ";" => {} // an empty statement
                "message" => self.message(t, scope)?,
                "enum" => self.enumeration(t, scope)?,
                "option" | "reserved" | "extensions" => t.skip_statement(),
                "oneof" => {
                    t.word()?;
                    t.expect("{")?;
                    self.body(t, id, scope, "}")?;
                }
                "map" => {
                    // map<K, V> name = N;  on the wire: repeated NameEntry { K key = 1; V value = 2; }
                    t.expect("<")?;
                    let key = t.word()?.to_string();
                    t.expect(",")?;
                    let value = t.word()?.to_string();
                    t.expect(">")?;
                    let field = t.word()?;
                    let entry_name = format!("{scope}.{field}Entry");
                    let entry = self.messages.len();
                    self.messages
                        .push(Message { name: entry_name.clone(), fields: Fields::default() });
                    self.by_name.insert(entry_name, entry);
                    let number = self.number(t)?;
                    self.declared.push(Declared {
                        owner: id,
                        number,
                        type_name: format!(".{}", self.messages[entry].name),
                        repeated: true,
                    });
                    for (number, type_name) in [(1, key), (2, value)] {
                        let repeated = false;
                        self.declared.push(Declared { owner: entry, number, type_name, repeated });
                    }
                }
                _ => {
                    let (repeated, type_name) = match word {
                        "repeated" => (true, t.word()?),
                        "optional" => (false, t.word()?),
                        type_name => (false, type_name),
                    };
                    let type_name = type_name.to_string();
                    t.word()?; // the field's name
                    let number = self.number(t)?;
                    self.declared.push(Declared { owner: id, number, type_name, repeated });
                }
            }
        }
    }

    /// `= N [options];` after a field's name.
    fn number(&mut self, t: &mut Tokens<'_>) -> Result<u32, String> {
        t.expect("=")?;
        let number = t.word()?;
        let number = number.parse().map_err(|_| format!("bad field number `{number}`"))?;
        t.skip_statement();
        Ok(number)
    }

    fn enumeration(&mut self, t: &mut Tokens<'_>, scope: &str) -> Result<(), String> {
        self.enums.push(format!("{scope}.{}", t.word()?));
        t.expect("{")?;
        let mut depth = 1;
        while depth > 0 {
            match t.word()? {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// Resolves every declared type name as protobuf does: from the innermost scope outwards.
    fn resolve(mut self) -> Result<Schema, String> {
        for field in std::mem::take(&mut self.declared) {
            let scope = self.messages[field.owner].name.clone();
            let message = if SCALARS.contains(&field.type_name.as_str()) {
                None
            } else {
                self.lookup(&scope, &field.type_name)
                    .ok_or_else(|| format!("{scope}: unknown type {}", field.type_name))?
            };
            let kept = Field { message, repeated: field.repeated };
            if !self.messages[field.owner].fields.insert(field.number, kept) {
                return Err(format!("{scope} declares field {} twice", field.number));
            }
        }
        Ok(Schema { messages: self.messages, by_name: self.by_name })
    }

    /// `Some(Some(id))` for a message, `Some(None)` for an enum, `None` if unknown.
    fn lookup(&self, scope: &str, name: &str) -> Option<Option<MessageId>> {
        let found = |full: &str| {
            self.by_name
                .get(full)
                .map(|id| Some(*id))
                .or_else(|| self.enums.iter().any(|e| e == full).then_some(None))
        };
        if let Some(absolute) = name.strip_prefix('.') {
            return found(absolute);
        }
        let mut scope = scope;
        loop {
            if let Some(hit) = found(&format!("{scope}.{name}")) {
                return Some(hit);
            }
            match scope.rfind('.') {
                Some(dot) => scope = &scope[..dot],
                None => return found(name),
            }
        }
    }
}

struct Tokens<'a> {
    tokens: Vec<&'a str>,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let token = self.tokens.get(self.at).copied();
        self.at += 1;
        token
    }

    fn word(&mut self) -> Result<&'a str, String> {
        self.next().ok_or_else(|| "unexpected end of file".to_string())
    }

    fn expect(&mut self, wanted: &str) -> Result<(), String> {
        match self.word()? {
            found if found == wanted => Ok(()),
            found => Err(format!("expected `{wanted}`, found `{found}`")),
        }
    }

    /// Skips to just after the next `;`.
    fn skip_statement(&mut self) {
        while self.next().is_some_and(|token| token != ";") {}
    }
}

/// Splits `.proto` text into words, strings and single-character symbols, dropping comments.
fn tokenize(text: &str) -> Result<Vec<&str>, String> {
    let mut tokens = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else { return Ok(tokens) };
        let len = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if rest.starts_with("/*") {
            rest.find("*/").ok_or("an unterminated comment")? + 2
        } else if first == '"' {
            rest[1..].find('"').ok_or("an unterminated string")? + 2
        } else if first.is_ascii_alphanumeric() || first == '_' || first == '.' || first == '-' {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
                .unwrap_or(rest.len())
        } else {
            first.len_utf8()
        };
        let (token, tail) = rest.split_at(len);
        if !token.starts_with("//") && !token.starts_with("/*") {
            tokens.push(token);
        }
        rest = tail;
    }
}
