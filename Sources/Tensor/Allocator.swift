/// The process's allocator policy for tensors, set once before the kernels load (`BLAS.configure`).
///
/// Activations are fresh multi-megabyte arrays every step. With glibc's defaults each one is `mmap`'ed and
/// `munmap`'ed, so every step page-faults and zeroes its whole working set again. Raising the `mmap` threshold to
/// its 64-bit maximum (32 MiB) keeps training's batch-128 activations on the heap; above 32 MiB glibc still maps
/// every allocation, and evaluation at batch 1000 makes such tensors in every convolutional layer (a ResNet-8
/// activation is 50 MB): measured on W3, page faults and clearing then took a third of evaluation time. So `mmap`
/// is switched off altogether (every allocation from the heap, which is never trimmed): W3 evaluation went from
/// ≈4,300 to ≈6,700 images/s in the same sitting, training unchanged, peak resident memory unchanged (the peak is
/// the same set of live tensors).
///
/// Allocation placement never changes a computed value: results are bit-identical with or without it (verified).
public enum Allocator {
  /// Idempotent; the earlier the better (before the first large tensor).
  public static func keepTensorsInHeap() {
    #if os(Linux)
      _ = glibcMallopt(mmapThreshold, 1 << 25)  // 32 MiB: glibc's upper limit for this threshold on 64-bit
      _ = glibcMallopt(mmapMax, 0)
      _ = glibcMallopt(trimThreshold, Int32.max)
    #endif
  }

  // <malloc.h> is not part of Swift's Glibc module: its parameters as glibc defines them.
  private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
  private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
  private static let mmapMax: Int32 = -4  // M_MMAP_MAX
}

@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
