import XCTest
import Seq2SeqIO
