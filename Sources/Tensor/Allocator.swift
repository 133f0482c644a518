/// The process's allocator policy for tensors.
///
/// glibc serves every allocation above 32 MiB (its largest `mmap` threshold) with a fresh `mmap` and returns it
/// with `munmap` when freed, so each such tensor's pages are faulted in and zeroed by the kernel again. Evaluation
/// at batch 1000 makes such tensors in every convolutional layer (a ResNet-8 activation is 50 MB): measured on
/// W3, page faults and page clearing took a third of evaluation time. Serving every allocation from the heap and
/// never trimming it keeps those pages mapped for the next batch: W3 evaluation went from ≈4,300 to ≈6,700
/// images/s in the same sitting, training unchanged, peak resident memory unchanged (the peak is the same set of
/// live tensors).
///
/// Allocation placement never changes a computed value: results are bit-identical with or without it.
public enum Allocator {
  /// Call once, before the first tensor is allocated (the command-line entry point does).
  public static func keepLargeTensorsInHeap() {
    #if os(Linux)
      _ = glibcMallopt(mmapMax, 0)
      _ = glibcMallopt(trimThreshold, Int32.max)
    #endif
  }

  // <malloc.h> is not part of Swift's Glibc module; its two parameters, as glibc defines them.
  private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
  private static let mmapMax: Int32 = -4  // M_MMAP_MAX
}

@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
