/// Declared numerics versions: what a run's cache key says about the code that computes it.
///
/// A key must guarantee that a reused record is exactly what this code would compute, and must survive the edits
/// that do not move a single bit (a doc comment, a refactor, a faster kernel verified bit-identical). Hashing the
/// source files guaranteed the first and failed the second: every edit of the engine moved every key, so committed
/// records could never serve as a cache. Instead each component declares an integer, bumped by the change that can
/// move result bits:
///
/// - `NumericsVersion.engine` covers everything every run goes through: tensors and kernels, layers, models,
///   optimisers, training and evaluation loops, datasets and their preparation, the regularizer core (masks,
///   conformance-neutral plumbing) and the Runner's execution of a run.
/// - each regularizer declares its own (`numerics:` in its descriptor, default 1), combined with those of the
///   methods it `uses:` (`RegularizerDescriptor.numericsTag`), so a change to one method retrains only its runs.
///
/// The kernels (OpenBLAS core type, oneDNN ISA), the compile target CPU, the config and the dataset checksums stay
/// in the key as before (`RunCache.key`).
///
/// A missed bump is caught three ways: the bit-identity tests of every kernel rewrite, `dropbench verify` on a
/// sample of committed records in CI (`.ci/run`), and the source hash kept in every record's provenance
/// (`EngineVersion.current`), which `verify` names when it differs from the build's. When in doubt, bump: a bump
/// costs a retraining, a missed one a wrong reuse. docs/reliability.md says when a user wants `--retrain`.
public enum NumericsVersion {
  /// Bump when a change to the core can change any run's numbers. History (newest last):
  /// 1 — 2026-12-07: introduced; the engine of commit 450474c (vectorised mask draws, chunked evaluation).
  public static let engine = 1

  /// The key material of the core: a prefix keeps these keys apart from the source-hash keys of older records.
  static var engineTag: String { "numerics-\(engine)" }
}
