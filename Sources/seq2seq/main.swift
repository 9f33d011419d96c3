print("seq2seq")
