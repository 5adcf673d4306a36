"""Train a GAN on a folder of pictures, draw from it, export it, and run the export with
ganzoo_edge, which needs no TensorFlow.

    python examples/folder_to_edge.py ~/emoji

With only the folder this trains what ``ganzoo train --data FOLDER`` trains: the recommended
architecture at 64 px for 5,000 steps, about 31 minutes on a 2-core CPU (README, "Your own
pictures"). ``--steps 200 --image-size 28`` is a try in a minute or two (dcgan at 28 px).
"""

import argparse

import ganzoo
import ganzoo_edge

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("folder", help="a folder of pictures (one subfolder per class, or none)")
parser.add_argument("--steps", type=int, help="default: the recommended 5,000")
parser.add_argument("--image-size", type=int, help="default: the recommended 64 px")
args = parser.parse_args()

run = ganzoo.train(data=args.folder, steps=args.steps, image_size=args.image_size).path
ganzoo.sample(run, n=16, out=run / "grid.png")                 # from the run, with TensorFlow
ganzoo.export(run, formats="onnx")                             # RUN/export/generator.onnx
# From here on only numpy, Pillow and onnxruntime: the same two lines run on a machine without
# TensorFlow, given RUN/export/ (generator.onnx and ganzoo.json) copied there.
generator = ganzoo_edge.load(run / "export" / "generator.onnx")
ganzoo_edge.grid(generator.generate(16, seed=0)).save(run / "edge-grid.png")
print(f"{run / 'grid.png'} (ganzoo.sample), {run / 'edge-grid.png'} (ganzoo_edge)")
