// The one protocol of the toolkit's errors: every error a library target throws at a person
// (a bad file, a bad option, a bad request) says what is wrong in one line and carries the
// exit status the command-line tool ends with, so no error type can be left out of the
// tool's mapping.

/// An error reported to a person: its `description` is one line naming the file or option
/// and the problem; `exitStatus` is what `seq2seq` exits with.
public protocol Seq2SeqError: Error, CustomStringConvertible {
    /// 3 for bad input (files, data, model folders), 2 for a bad request (options, languages).
    var exitStatus: Int32 { get }
}

extension Seq2SeqError {
    /// Bad input, unless the error type says otherwise.
    public var exitStatus: Int32 { 3 }
}
