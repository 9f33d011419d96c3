// The Seq2Seq Swift API.
