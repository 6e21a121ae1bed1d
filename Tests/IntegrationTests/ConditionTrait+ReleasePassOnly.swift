import Testing

extension Trait where Self == ConditionTrait {
    /// The heaviest integration tests wait for scripts/test's release pass (why: `Harness.skipHeavyTests`);
    /// a filtered run (`swift test --filter ChaosTests`) still runs them.
    static var releasePassOnly: Self {
        .disabled(if: Harness.skipHeavyTests, "runs in scripts/test's release pass")
    }
}
