import XCTest
import Seq2Seq
