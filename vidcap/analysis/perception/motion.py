"""Camera and subject motion from sparse optical flow between two nearby frames: a similarity
transform fitted with RANSAC gives the camera's pan, tilt and zoom; points that do not follow it
are something moving through the frame."""

import cv2
import numpy as np

PAN_SPEED = 0.04  # frame widths per second before a shot counts as panning
ZOOM_SPEED = 0.04  # relative scale change per second before it counts as zooming
# A hand-held camera thrown about: the median absolute deviation of its per-frame pan or tilt (frame
# widths or heights per second) past which no steady move is said. Shots of the samples and dev set:
# a swimmer's camera under water 0.35 (its median, "zoom in", was noise); a cockatoo pecking at the
# phone that films it 0.14; every other shot 0.04 or less.
SHAKY = 0.2


def global_motion(before: np.ndarray, after: np.ndarray, dt: float) -> tuple[float, float, float, float]:
    """(dx, dy, zoom, moving) per second between two grayscale frames: content shift in frame
    widths/heights (positive: rightward, downward), log scale change, and the share of tracked
    points that move against the camera's motion. NaNs where too little texture to track."""
    h, w = before.shape
    points = cv2.goodFeaturesToTrack(before, maxCorners=150, qualityLevel=0.01, minDistance=6)
    if points is None or len(points) < 12:
        return (np.nan,) * 4
    moved, status, _ = cv2.calcOpticalFlowPyrLK(before, after, points, None, winSize=(21, 21), maxLevel=3)
    ok = status.ravel() == 1
    if ok.sum() < 12:
        return (np.nan,) * 4
    src, dst = points[ok].reshape(-1, 2), moved[ok].reshape(-1, 2)
    matrix = _background_motion(src, dst, w, h)
    if matrix is None:
        # Whatever moves lives in one part of the frame: an object moving, not the camera.
        displacement = np.linalg.norm(dst - src, axis=1)
        return 0.0, 0.0, 0.0, float(np.mean(displacement > max(1.0, 0.01 * w)))
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    # The shift of the frame centre, so that a zoom alone does not read as a pan.
    centre = np.array([w / 2, h / 2])
    shift = matrix[:, :2] @ centre + matrix[:, 2] - centre
    residual = np.linalg.norm(dst - (src @ matrix[:, :2].T + matrix[:, 2]), axis=1)
    moving = float(np.mean(residual > max(2.0, 0.02 * w)))
    return shift[0] / w / dt, shift[1] / h / dt, float(np.log(scale)) / dt, moving


def _background_motion(src, dst, w, h):
    """The similarity transform that the background follows. The background surrounds what is
    filmed, so of the fit on all points and the fit on those it left out (a large subject, held
    in frame while the background slides past, can outvote the background), the one whose
    points reach more of the frame's four edges wins; then the one with more points."""
    best, best_rank = None, (0, 0)
    for _ in range(2):
        if len(src) < 8:
            break
        matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.5)
        if matrix is None:
            break
        inside = inliers.ravel() == 1
        points = src[inside]
        spread = np.ptp(points, axis=0) / [w, h] if len(points) >= 6 else np.zeros(2)
        if spread.max() >= 0.5 and spread.min() >= 0.25:
            x, y = points[:, 0] / w, points[:, 1] / h
            edges = sum(int(np.sum(band) >= 2) for band in (x < 0.15, x > 0.85, y < 0.15, y > 0.85))
            if (edges, len(points)) > best_rank:
                best, best_rank = matrix, (edges, len(points))
        src, dst = src[~inside], dst[~inside]
    return best


def describe_camera(dx: np.ndarray, dy: np.ndarray, zoom: np.ndarray, moving: np.ndarray) -> dict:
    """Per shot from per-frame measurements: static, pan left/right, tilt up/down, zoom in/out,
    or "move about" (a camera thrown about: SHAKY); and whether something moves through the frame."""
    valid = ~np.isnan(dx)
    if valid.sum() < 2:
        return {"camera": "unknown", "confidence": 0.0, "subject_moving": False}
    mx, my, mz = (float(np.median(a[valid])) for a in (dx, dy, zoom))
    agree = lambda a, m: float(np.mean(np.sign(a[valid]) == np.sign(m)))
    off_x, off_y = np.abs(dx[valid] - mx), np.abs(dy[valid] - my)
    # Content moving left means the camera pans right; content moving down, the camera tilts up.
    if max(np.median(off_x), np.median(off_y)) >= SHAKY:
        camera, conf = "move about", float(np.mean(np.maximum(off_x, off_y) >= PAN_SPEED))
    elif abs(mz) >= ZOOM_SPEED and abs(mz) * 2 > max(abs(mx), abs(my)):
        camera, conf = ("zoom in" if mz > 0 else "zoom out"), agree(zoom, mz)
    elif max(abs(mx), abs(my)) >= PAN_SPEED:
        if abs(mx) >= abs(my):
            camera, conf = ("pan right" if mx < 0 else "pan left"), agree(dx, mx)
        else:
            camera, conf = ("tilt up" if my > 0 else "tilt down"), agree(dy, my)
    else:
        camera, conf = "static", float(np.mean(np.maximum(abs(dx[valid]), abs(dy[valid])) < PAN_SPEED))
    return {"camera": camera, "speed": round(max(abs(mx), abs(my), abs(mz)), 3),
            "confidence": round(conf, 2),
            "subject_moving": bool(np.median(moving[valid]) > 0.15)}
