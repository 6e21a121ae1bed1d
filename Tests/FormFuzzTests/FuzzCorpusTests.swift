import FormFuzz
import Foundation
import TestFixtures
import Testing

/// Every seed of the fuzz corpus and every input that once made a target crash
/// (Fixtures/fuzz/TARGET/seeds, Fixtures/fuzz/TARGET/crashes), run through its target's body:
/// the crashes stay mended, and the seeds stay inputs the targets take.
@Suite struct FuzzCorpusTests {
    static let root = FixturePaths.packageRoot + "/Fixtures/fuzz"

    static func inputs(_ target: FuzzTarget, _ kind: String) -> [String] {
        let dir = "\(root)/\(target.rawValue)/\(kind)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().map { "\(dir)/\($0)" }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAndFormerCrashesRunClean(_ target: FuzzTarget) throws {
        let seeds = Self.inputs(target, "seeds")
        #expect(!seeds.isEmpty, "no seeds for \(target.rawValue)")
        for path in seeds + Self.inputs(target, "crashes") {
            let bytes = try #require(FileManager.default.contents(atPath: path), "\(path)")
            target.run([UInt8](bytes))
        }
    }
}
