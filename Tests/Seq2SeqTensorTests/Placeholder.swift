import XCTest
import Seq2SeqTensor
