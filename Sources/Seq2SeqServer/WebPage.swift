// The page served at `/`. (Replaced by the attention explorer.)
enum WebPage {
    static let html = "<!doctype html><title>seq2seq</title>"
}
