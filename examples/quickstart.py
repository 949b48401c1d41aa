"""Quick start: the tutorial's k-means from scratch, done by jaxmeans.

Three 2-D blobs are generated with a fixed seed (the tutorial's kmeans_blobs.csv arrives
with the datasets module) and clustered with k=3; then the whole elbow curve k = 1..10 is
computed in one call, with the silhouette of each k and the knee.

    python examples/quickstart.py
"""

import jax
import numpy as np

import jaxmeans


def three_blobs(n_per_blob: int = 100, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[-10.0, 5.0], [5.0, 10.0], [0.0, -8.0]])
    points = [c + rng.normal(scale=2.0, size=(n_per_blob, 2)) for c in centres]
    return np.concatenate(points).astype(np.float32)


def main() -> None:
    X = three_blobs()
    key = jax.random.key(0)

    # Steps 1-6 of the tutorial: initialise, assign, update, repeat until nothing moves.
    result = jaxmeans.kmeans(X, 3, key=key)
    print(f"k=3: {int(result.n_iter)} iterations, converged={bool(result.converged)}")
    print(f"total error (inertia): {float(result.inertia):.2f}")
    print("centroids:")
    for row in np.asarray(result.centroids):
        print(f"  x={row[0]:8.3f}  y={row[1]:8.3f}")
    print("points per cluster:", np.bincount(np.asarray(result.labels)).tolist())

    # The elbow curve: every k = 1..10 in one jitted call, and the knee found for you.
    curve = jaxmeans.elbow(X, range(1, 11), key=key, n_init=3, scores=True)
    print("\n k     inertia  silhouette")
    for k, inertia, score in zip(curve.ks, curve.inertia, curve.silhouette, strict=True):
        print(f"{int(k):2d}  {float(inertia):10.2f}  {float(score):10.3f}")
    print(f"knee of the elbow curve: k = {int(curve.knee) or None}")


if __name__ == "__main__":
    main()
