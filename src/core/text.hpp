#pragma once
/// @file
/// Strict, locale-independent conversions between numbers and text, and whole-file reading, shared
/// by the case-file reader, parameter parsing (--mu) and the CSV sample reader, and the "did you
/// mean" suggestion of messages. Not collective.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kolmo {

/// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view trim(std::string_view text);

/// The whole of `text` as a finite double (decimal or exponent notation, optional leading '+');
/// std::nullopt for anything else, including surrounding spaces, "inf" and "nan".
std::optional<double> parse_double(std::string_view text);

/// The whole of `text` as a decimal integer (optional sign); std::nullopt otherwise or when it
/// does not fit in a long long.
std::optional<long long> parse_integer(std::string_view text);

/// Read the whole file at `path` into `text`. On failure returns false and sets `error` to
/// "<path>: <reason>" (no such file, a directory, cannot be opened, read error).
bool read_text_file(const std::string& path, std::string& text, std::string& error);

/// The shortest text that reads back as exactly `value` ("0.1", "1", "1e-10", "2.5").
std::string format_number(double value);

/// `value` to 3 significant digits for messages ("3.04e-10", "inf").
std::string format_short(double value);

/// The words separated by `separator` ("a, b, c" by default).
std::string join(const std::vector<std::string>& words, const std::string& separator = ", ");

/// The candidate closest to `word` by (case-insensitive, optimal-string-alignment) Damerau-
/// Levenshtein distance, or "" when none is reasonably close: distance <= max(2, size/3) where
/// size is the length of `word`, or, failing that, one being a prefix (of 3+ characters) of the
/// other ("tol" -> "tolerance"). Ties go to the earlier candidate.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kolmo
