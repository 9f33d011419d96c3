// The learning-rate schedules at their landmarks (start, end of warmup, later steps).
import Seq2SeqTraining
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testNoamPeaksAtTheEndOfWarmup() {
        let schedule = LearningRateSchedule.noam(modelWidth: 512, warmupSteps: 4000)
        let peak = 1 / (512.0.squareRoot() * 4000.0.squareRoot())  // ≈ 7.0e-4
        XCTAssertEqual(Double(schedule.learningRate(step: 4000)), peak, accuracy: 1e-9)
        XCTAssertEqual(Double(schedule.learningRate(step: 1)), peak / 4000, accuracy: 1e-10)
        XCTAssertEqual(Double(schedule.learningRate(step: 16000)), peak / 2, accuracy: 1e-9)
        XCTAssertLessThan(schedule.learningRate(step: 3999), schedule.learningRate(step: 4000))
        XCTAssertLessThan(schedule.learningRate(step: 4001), schedule.learningRate(step: 4000))
    }

    func testInverseSquareRoot() {
        let schedule = LearningRateSchedule.inverseSquareRoot(peak: 5e-4, warmupSteps: 100)
        XCTAssertEqual(schedule.learningRate(step: 50), 2.5e-4, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(step: 100), 5e-4, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(step: 400), 2.5e-4, accuracy: 1e-10)
    }

    func testCosineWithWarmup() {
        let schedule = LearningRateSchedule.cosine(peak: 1e-3, warmupSteps: 10, totalSteps: 110, minimum: 1e-5)
        XCTAssertEqual(schedule.learningRate(step: 5), 5e-4, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(step: 10), 1e-3, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(step: 60), (1e-3 + 1e-5) / 2, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(step: 110), 1e-5, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(step: 500), 1e-5, accuracy: 1e-10)
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).learningRate(step: 77), 3e-4)
    }
}
