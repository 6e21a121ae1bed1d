import Testing

extension Trait where Self == ConditionTrait {
    /// The heaviest integration tests (chaos between namespaces, kill -9 rounds, a flood at full rate):
    /// scripts/test's first pass runs every test at once on 2 cores and sets FORM_SKIP_HEAVY_TESTS, so
    /// these wait for its release pass, which runs only the integration tests. A filtered run
    /// (`swift test --filter ChaosTests`) still runs them.
    static var releasePassOnly: Self {
        .disabled(if: Harness.skipHeavyTests, "runs in scripts/test's release pass")
    }
}
