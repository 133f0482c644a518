import Testing

@testable import Benchmarks

@Suite struct BenchmarkTests {
  /// The sitting's machine names the CPU's family and model: "AMD EPYC" alone covers generations whose sgemm
  /// peaks differ twofold.
  @Test func cpuGenerationFromCpuinfo() {
    let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\ncpu family\t: 26\nmodel\t\t: 2\n"
    #expect(Benchmark.cpuGeneration(text) == "family 25, model 17")
    #expect(Benchmark.cpuGeneration("model name\t: Some CPU\n") == nil)
  }
}
