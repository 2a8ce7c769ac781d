//! SQL text to statements, cut where DataFusion's parser cuts them: at the semicolon tokens of
//! sqlparser's tokenizer, in the session's dialect (`datafusion.sql_parser.dialect`, "generic" by
//! default). Quotes of every kind the dialect knows (`'..'`, `E'..'`, `$$..$$`, `".."`), and
//! comments, are single tokens, so a `;` inside them never splits. Used by the `fuseplug` CLI, which
//! runs a statement once its `;` has arrived.

use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer, TokenizerError};
use pyo3::prelude::*;

use crate::errors::{Error, Result};

/// Splits `text` into its complete statements (each without its `;`, trimmed; blank and
/// comment-only ones dropped) and the unterminated remainder after the last `;` (trimmed; empty
/// when it holds only whitespace and comments).
///
/// A tokenizer error (an unterminated quote or comment, a bad escape) raises `SQLError` with the
/// tokenizer's message and location, except that with `at_eof=False` a quote or comment still open
/// at the end of the text is not an error: more input may close it, so it stays in the remainder.
#[pyfunction]
#[pyo3(signature = (text, dialect = "generic", at_eof = true))]
pub fn split_sql(text: &str, dialect: &str, at_eof: bool) -> Result<(Vec<String>, String)> {
    let dialect = dialect_from_str(dialect)
        .ok_or_else(|| Error::Value(format!("unknown SQL dialect {dialect:?}")))?;
    let mut tokens = Vec::new();
    let failure =
        Tokenizer::new(dialect.as_ref(), text).tokenize_with_location_into_buf(&mut tokens).err();
    let offsets = LineOffsets::new(text);
    let mut statements = Vec::new();
    let mut start = 0;
    let mut has_code = false;
    // On failure `tokens` holds every token before the bad one, so every `;` seen here comes first.
    for token in &tokens {
        match token.token {
            Token::SemiColon => {
                let at = offsets.byte(text, token.span.start);
                if has_code {
                    statements.push(text[start..at].trim().to_string());
                }
                start = at + 1;
                has_code = false;
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => has_code = true,
        }
    }
    if let Some(err) = failure {
        if at_eof || !more_input_may_close(&err) {
            return Err(Error::DataFusion(DataFusionError::SQL(
                Box::new(ParserError::TokenizerError(err.to_string())),
                None,
            )));
        }
        has_code = true;
    }
    let rest = if has_code { text[start..].trim().to_string() } else { String::new() };
    Ok((statements, rest))
}

/// Whether the tokenizer stopped at a quote, identifier or comment that the end of the text left
/// open (rather than at something wrong that more text cannot mend).
fn more_input_may_close(err: &TokenizerError) -> bool {
    err.message.starts_with("Unterminated") || err.message.contains("EOF")
}

/// The byte offset where each line of a text starts, to turn the tokenizer's (line, column)
/// locations (1-based, columns counted in characters) into byte offsets.
struct LineOffsets(Vec<usize>);

impl LineOffsets {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self(starts)
    }

    fn byte(&self, text: &str, at: Location) -> usize {
        let line = (at.line as usize).saturating_sub(1).min(self.0.len() - 1);
        let start = self.0[line];
        let column = (at.column as usize).saturating_sub(1);
        text[start..].char_indices().nth(column).map_or(text.len(), |(i, _)| start + i)
    }
}
