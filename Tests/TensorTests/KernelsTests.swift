import Testing

@testable import Tensor

@Suite struct KernelsTests {
  let avx512 = CPUInfo(model: "test", flags: ["avx512f", "avx512bw", "avx512vl", "avx2", "fma"])
  let avx2 = CPUInfo(model: "test", flags: ["avx2", "fma", "sse4_1"])

  @Test func automaticSelectionFollowsTheISA() {
    #expect(
      KernelSelection.automatic(cpu: avx512, environment: [:])
        == KernelSelection(blasCoreType: "SkylakeX", dnnlISA: "avx512_core"))
    #expect(
      KernelSelection.automatic(cpu: avx2, environment: [:])
        == KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"))
    #expect(
      KernelSelection.automatic(cpu: CPUInfo(model: "old", flags: ["sse4_1"]), environment: [:]).blasCoreType
        == "Sandybridge")
    // AVX-512F alone (without BW/VL) is not enough for the SkylakeX kernels.
    #expect(
      KernelSelection.automatic(cpu: CPUInfo(model: "x", flags: ["avx512f", "avx2", "fma"]), environment: [:])
        .blasCoreType == "Haswell")
  }

  @Test func environmentOverrides() {
    let s = KernelSelection.automatic(
      cpu: avx512, environment: ["DROPBENCH_BLAS_CORETYPE": "Haswell", "DROPBENCH_DNNL_ISA": "avx2"])
    #expect(s == KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"))
  }

  @Test func currentCPUIsRead() {
    #expect(!CPUInfo.current.flags.isEmpty)
    #expect(CPUInfo.current.model != "unknown")
  }

  @Test func errorsSayWhatToDo() {
    #expect(KernelError.blasMissing("no file").description.contains("libopenblas-dev"))
    #expect(KernelError.blasCoreMismatch(requested: "Haswell", loaded: "SkylakeX").description.contains("Haswell"))
  }

  @Test func readsFilesAndEnvironment() throws {
    #expect(try readTextFile("/proc/self/status").contains("Name:"))
    #expect(throws: KernelError.self) { try readTextFile("/nonexistent/dropbench") }
    #expect(environ()["PATH"] != nil)
  }
}
