/**
 * SQL text as Postgres and psql read it: the one lexer (tokens with offsets),
 * statements as psql cuts them, and offsets to line:column. Used by the
 * migration apply path (refused statements, error positions), the file lints
 * and the pgTAP runner (assertion and error lines).
 */
export { tokenize, isTrivia, isQuoted, dollarBody, stringValue, keyword, type Token, type TokenKind, type StringPrefix } from './lexer.ts';
export { splitStatements, leadingKeywords, type Statement } from './statements.ts';
export { offsetOfCharacter, lineAndColumn, lineLocator, excerpt } from './position.ts';
