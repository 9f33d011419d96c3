// Greedy search, beam search, sampling and logits processors on scripted decoders.
import Foundation
import Seq2SeqGeneration
import XCTest

final class GenerationTests: XCTestCase {
    /// Start 0, EOS 1, vocabulary 6.
    private func config(_ edit: (inout GenerationConfig) -> Void = { _ in }) -> GenerationConfig {
        var c = GenerationConfig(decoderStartTokenId: 0, eosTokenIds: [1])
        edit(&c)
        return c
    }

    /// After the start token: 2 (p .6) or 3 (p .4). After 2: six-way tie of 2..5 and EOS (flat).
    /// After 3: EOS with p .95. Greedy takes 2 and wanders; beam search finds 3, EOS.
    private func trapScript(_ source: Int, _ ids: [Int]) -> [Float] {
        switch ids.last! {
        case 0: return logits([0, 0.01, 0.59, 0.4, 0, 0])
        case 3: return logits([0, 0.95, 0.01, 0.02, 0.01, 0.01])
        default: return logits([0, 0.2, 0.2, 0.2, 0.2, 0.2])
        }
    }

    func testGreedyTakesArgmaxAndStopsAtEOS() throws {
        let session = ScriptedSession(sources: 1, vocabulary: 5) { _, ids in
            ids.count < 3 ? logits([0.1, 0.1, 0.2, 0.5, 0.1]) : logits([0.1, 0.6, 0.1, 0.1, 0.1])
        }
        let result = try Generator(config: config()).generate(session: session)
        XCTAssertEqual(result.map { $0.map(\.ids) }, [[[3, 3, 1]]])
        let h = result[0][0]
        for (a, b) in zip(h.tokenLogProbs, [0.5, 0.5, 0.6] as [Float]) { XCTAssertEqual(a, Foundation.log(b), accuracy: 1e-5) }
        XCTAssertEqual(h.score!, h.tokenLogProbs.reduce(0, +), accuracy: 1e-6)
    }

    func testGreedyStopsAtMaxNewTokensAndDefaultTwenty() throws {
        let flat: (Int, [Int]) -> [Float] = { _, _ in logits([0.1, 0.1, 0.8]) }
        let five = try Generator(config: config { $0.maxNewTokens = 5 }).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: flat))
        XCTAssertEqual(five[0][0].ids, [2, 2, 2, 2, 2])
        let byDefault = try Generator(config: config()).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: flat), prefix: [2])
        XCTAssertEqual(byDefault[0][0].ids.count, 20, "HF default: 20 new tokens after the decoder prompt")
        let absolute = try Generator(config: config { $0.maxLength = 4 }).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: flat))
        XCTAssertEqual(absolute[0][0].ids.count, 3, "max_length counts the start token")
    }

    func testBeamSearchFindsWhatGreedyMisses() throws {
        let greedy = try Generator(config: config { $0.maxNewTokens = 4 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 6, script: trapScript))
        XCTAssertEqual(greedy[0][0].ids.first, 2)
        let beam = try Generator(config: config { $0.maxNewTokens = 4; $0.numBeams = 2 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 6, script: trapScript))
        XCTAssertEqual(beam[0][0].ids, [3, 1])
        let expected = (Foundation.log(0.4) + Foundation.log(0.95)) / 2
        XCTAssertEqual(Double(beam[0][0].score!), expected, accuracy: 1e-5, "sum of log-probs / generated length")
    }

    func testLengthPenaltyChangesRanking() throws {
        // Short: 2 EOS (log .5 + log .97, length 2). Long: 3 4 EOS (log .5 + log .7 + log .97,
        // length 3): the lower sum, but the better score once divided by length^2.
        let script: (Int, [Int]) -> [Float] = { _, ids in
            switch ids.last! {
            case 0: return logits([0, 0, 0.5, 0.5, 0, 0])
            case 3: return logits([0, 0.3, 0, 0, 0.7, 0])
            default: return logits([0, 0.97, 0.01, 0.01, 0.005, 0.005])
            }
        }
        func best(_ lp: Float) throws -> [Int] {
            try Generator(config: config { $0.numBeams = 2; $0.lengthPenalty = lp; $0.maxNewTokens = 3; $0.earlyStopping = .never })
                .generate(session: ScriptedSession(sources: 1, vocabulary: 6, script: script))[0][0].ids
        }
        XCTAssertEqual(try best(0), [2, 1], "no length penalty: highest summed log-prob")
        XCTAssertEqual(try best(2), [3, 4, 1], "length penalty 2 favours the longer hypothesis")
    }

    func testEarlyStoppingAlwaysStopsSoonerThanNever() throws {
        func steps(_ mode: EarlyStopping) throws -> Int {
            let session = ScriptedSession(sources: 1, vocabulary: 6, script: trapScript)
            _ = try Generator(config: config { $0.numBeams = 2; $0.maxNewTokens = 10; $0.earlyStopping = mode; $0.lengthPenalty = 1 })
                .generate(session: session)
            return session.stepRowCounts.count
        }
        let always = try steps(.always), never = try steps(.never)
        XCTAssertLessThan(always, never)
        XCTAssertLessThan(try steps(.heuristic), never, "\"never\" scores running beams at max length")
    }

    func testMinNewTokensSuppressesEOS() throws {
        let script: (Int, [Int]) -> [Float] = { _, _ in logits([0.05, 0.7, 0.25]) }
        let free = try Generator(config: config()).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: script))
        XCTAssertEqual(free[0][0].ids, [1])
        let held = try Generator(config: config { $0.minNewTokens = 3 }).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: script))
        XCTAssertEqual(held[0][0].ids, [2, 2, 2, 1])
        let minLength = try Generator(config: config { $0.minLength = 3 }).generate(session: ScriptedSession(sources: 1, vocabulary: 3, script: script))
        XCTAssertEqual(minLength[0][0].ids, [2, 2, 1], "min_length counts the start token")
    }

    func testNoRepeatNgramBlocksRepeat() throws {
        // Always prefers 2, then 3: greedy would give 2 2 2 ...; with size 2, "2 2" can occur once.
        let script: (Int, [Int]) -> [Float] = { _, _ in logits([0.01, 0.01, 0.6, 0.3, 0.08]) }
        let result = try Generator(config: config { $0.noRepeatNgramSize = 2; $0.maxNewTokens = 5 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 5, script: script))
        XCTAssertEqual(result[0][0].ids, [2, 2, 3, 2, 4])
    }

    func testEncoderNoRepeatNgramBansEachSourcesNgrams() throws {
        // Prefers 2, then 3, then 4 (after 3, 2 even more). Source 0 holds the bigram "2 2", source 1 "2 3".
        let script: (Int, [Int]) -> [Float] = { _, ids in
            if ids.count == 1 { return logits([0.01, 0.01, 0.6, 0.2, 0.18]) }
            return ids.last == 3 ? logits([0.01, 0.01, 0.7, 0.1, 0.18]) : logits([0.01, 0.01, 0.5, 0.3, 0.18])
        }
        for beams in [1, 3] {
            let session = ScriptedSession(sources: 2, vocabulary: 5, script: script)
            session.sourceIds = [[2, 2, 1], [2, 3, 1]]
            let result = try Generator(config: config { $0.encoderNoRepeatNgramSize = 2; $0.maxNewTokens = 4; $0.numBeams = beams })
                .generate(session: session)
            XCTAssertEqual(result[0][0].ids, [2, 3, 2, 3], "beams \(beams): after 2 comes 3, not 2")
            XCTAssertEqual(result[1][0].ids, [2, 2, 2, 2], "beams \(beams): 2 2 is allowed, 2 3 is not")
        }
        // Size 1 bans every source token; without source ids the setting has nothing to act on.
        let session = ScriptedSession(sources: 1, vocabulary: 5, script: script)
        session.sourceIds = [[2, 1]]
        let banned = try Generator(config: config { $0.encoderNoRepeatNgramSize = 1; $0.maxNewTokens = 3 }).generate(session: session)
        XCTAssertEqual(banned[0][0].ids, [3, 4, 3])
        let unread = try Generator(config: config { $0.encoderNoRepeatNgramSize = 1; $0.maxNewTokens = 3 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 5, script: script))
        XCTAssertEqual(unread[0][0].ids, [2, 2, 2])
    }

    func testEncoderRepetitionPenaltyMath() throws {
        // Source tokens 2 (score 3) and 0 (score -1): above 1 they gain, below 1 they lose.
        let raw: [Float] = [-1, 0.5, 3, 2.8, 0]
        for (penalty, token, processed) in [(Float(1.5), 2, [-1 / 1.5, 0.5, 4.5, 2.8, 0]), (0.5, 3, [-2, 0.5, 1.5, 2.8, 0])] as [(Float, Int, [Float])] {
            let session = ScriptedSession(sources: 1, vocabulary: 5) { _, _ in raw }
            session.sourceIds = [[2, 0, 2]]
            let result = try Generator(config: config { $0.encoderRepetitionPenalty = penalty; $0.maxNewTokens = 1 }).generate(session: session)
            XCTAssertEqual(result[0][0].ids, [token], "penalty \(penalty)")
            XCTAssertEqual(Double(result[0][0].tokenLogProbs[0]), logSoftmax(processed)[token], accuracy: 1e-5)
        }
    }

    func testRepetitionPenaltyMath() throws {
        // Logits after [0, 2]: token 2 (seen, positive) is divided, token 0 (seen, negative) multiplied.
        let raw: [Float] = [-1, 0.5, 3, 2.8, 0]
        let script: (Int, [Int]) -> [Float] = { _, ids in ids.count == 1 ? logits([0, 0, 1, 0, 0]) : raw }
        let result = try Generator(config: config { $0.repetitionPenalty = 1.2; $0.maxNewTokens = 2 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 5, script: script))
        XCTAssertEqual(result[0][0].ids, [2, 3], "3 / 1.2 = 2.5 < 2.8")
        let processed: [Float] = [-1.2, 0.5, 2.5, 2.8, 0]
        XCTAssertEqual(Double(result[0][0].tokenLogProbs[1]), logSoftmax(processed)[3], accuracy: 1e-5)
    }

    func testForcedBOSAndSuppressTokens() throws {
        let script: (Int, [Int]) -> [Float] = { _, _ in logits([0.1, 0.1, 0.5, 0.2, 0.1]) }
        let result = try Generator(config: config { $0.forcedBosTokenId = 4; $0.suppressTokens = [2]; $0.maxNewTokens = 3 })
            .generate(session: ScriptedSession(sources: 1, vocabulary: 5, script: script))
        XCTAssertEqual(result[0][0].ids, [4, 3, 3])
        XCTAssertEqual(result[0][0].tokenLogProbs[0], 0)
    }

    func testSamplingIsReproducibleAndSeedDependent() throws {
        let script: (Int, [Int]) -> [Float] = { _, _ in [Float](repeating: 0, count: 50) }
        func sample(_ seed: UInt64) throws -> [Int] {
            try Generator(config: config { $0.doSample = true; $0.topK = 0; $0.seed = seed; $0.maxNewTokens = 12; $0.eosTokenIds = [] })
                .generate(session: ScriptedSession(sources: 1, vocabulary: 50, script: script))[0][0].ids
        }
        XCTAssertEqual(try sample(7), try sample(7))
        XCTAssertNotEqual(try sample(7), try sample(8))
    }

    func testTopKAndTopPKeepTheRightSets() throws {
        let probs: [Float] = [0.02, 0.03, 0.4, 0.3, 0.15, 0.1]
        let script: (Int, [Int]) -> [Float] = { _, _ in logits(probs) }
        func drawn(_ edit: @escaping (inout GenerationConfig) -> Void) throws -> Set<Int> {
            var seen = Set<Int>()
            for seed in 0..<200 as Range<UInt64> {
                let ids = try Generator(config: config { $0.doSample = true; $0.seed = seed; $0.maxNewTokens = 1; edit(&$0) })
                    .generate(session: ScriptedSession(sources: 1, vocabulary: 6, script: script))[0][0].ids
                seen.formUnion(ids)
            }
            return seen
        }
        XCTAssertEqual(try drawn { $0.topK = 2 }, [2, 3])
        // Ascending cumulative: .02 .05 .15 .30 .60 1 -> removed while <= 1 - 0.8 = 0.2: tokens 0, 1, 5.
        XCTAssertEqual(try drawn { $0.topK = 0; $0.topP = 0.8 }, [2, 3, 4])
        XCTAssertEqual(try drawn { $0.topK = 0; $0.topP = 0.01 }, [2], "min_tokens_to_keep = 1")
    }

    func testNumReturnSequencesForSamplingAndBeams() throws {
        let sampled = try Generator(config: config { $0.doSample = true; $0.numReturnSequences = 3; $0.maxNewTokens = 4; $0.seed = 1 })
            .generate(session: ScriptedSession(sources: 2, vocabulary: 6, script: trapScript))
        XCTAssertEqual(sampled.map(\.count), [3, 3])
        let beams = try Generator(config: config { $0.numBeams = 3; $0.numReturnSequences = 2; $0.maxNewTokens = 4 })
            .generate(session: ScriptedSession(sources: 2, vocabulary: 6, script: trapScript))
        XCTAssertEqual(beams.map(\.count), [2, 2])
        XCTAssertGreaterThanOrEqual(beams[0][0].score!, beams[0][1].score!)
    }

    func testFinishedSourcesAreDropped() throws {
        // Source 0 ends at once; source 1 runs five tokens.
        let script: (Int, [Int]) -> [Float] = { source, ids in
            source == 0 || ids.count > 5 ? logits([0.05, 0.9, 0.05]) : logits([0.05, 0.05, 0.9])
        }
        let session = ScriptedSession(sources: 2, vocabulary: 3, script: script)
        let result = try Generator(config: config()).generate(session: session)
        XCTAssertEqual(result.map { $0[0].ids }, [[1], [2, 2, 2, 2, 2, 1]])
        XCTAssertEqual(session.stepRowCounts, [2, 1, 1, 1, 1, 1])
        XCTAssertEqual(session.reorders.first, [1])

        let beamSession = ScriptedSession(sources: 2, vocabulary: 3, script: script)
        _ = try Generator(config: config { $0.numBeams = 2; $0.earlyStopping = .always }).generate(session: beamSession)
        XCTAssertTrue(beamSession.stepRowCounts.dropFirst(2).allSatisfy { $0 == 2 }, "\(beamSession.stepRowCounts)")
    }

    func testPrefixIsForcedAndNotReturned() throws {
        let session = ScriptedSession(sources: 1, vocabulary: 6, script: trapScript)
        let result = try Generator(config: config { $0.numBeams = 2; $0.maxNewTokens = 2 }).generate(session: session, prefix: [5])
        XCTAssertEqual(session.rows[0].ids.prefix(2), [0, 5])
        XCTAssertEqual(result[0][0].ids.count, 2)
    }

    func testMissingStartTokenThrows() {
        XCTAssertThrowsError(try Generator(config: GenerationConfig()).generate(
            session: ScriptedSession(sources: 1, vocabulary: 3) { _, _ in [0, 0, 0] })) { error in
            XCTAssertTrue("\(error)".contains("decoder_start_token_id"))
        }
    }
}
