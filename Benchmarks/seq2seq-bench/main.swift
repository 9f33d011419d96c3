print("seq2seq-bench")
