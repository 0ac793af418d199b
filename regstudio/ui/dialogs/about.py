"""About box and the short guide to the five regularization techniques."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

import regstudio

ABOUT = f"""
<h2>Regularization Studio {regstudio.__version__}</h2>
<p>Watch a neural network overfit, then cure it with L1, L2, dropout, early stopping and
data augmentation. A NumPy engine, a PySide6 + pyqtgraph window. MIT licence.</p>
<h3>Bundled data</h3>
<ul>
<li><b>digits</b>: UCI Optical Recognition of Handwritten Digits (E. Alpaydin, C. Kaynak, 1998),
CC BY 4.0; copy as shipped with scikit-learn.</li>
<li><b>breast_cancer</b>: UCI Breast Cancer Wisconsin (Diagnostic) (W. Wolberg, W. Street,
O. Mangasarian, 1995), CC BY 4.0.</li>
<li><b>chelsea.png</b> (Stefan van der Walt) and <b>coffee.png</b> (Rachel Michetti): CC0,
scikit-image sample data.</li>
<li><b>astronaut.png</b>: NASA, public domain; <b>rocket.jpg</b>: SpaceX, public domain
(scikit-image sample data).</li>
</ul>
<p>Built with Qt for Python (PySide6, LGPLv3), pyqtgraph (MIT), NumPy (BSD), Pillow (HPND).</p>
"""

GUIDE = """
<h2>The five cures for overfitting</h2>
<p><b>Overfitting</b>: the training loss keeps falling while the validation loss turns up. The
green line on the Loss view marks the epoch of the lowest validation loss: after it, the network
memorises the training set instead of learning the pattern.</p>
<h3>L2 (weight decay, ridge)</h3>
<p>Adds <code>alpha · Σ w²</code> to the loss. Every weight is pulled towards zero in proportion
to its size: the weight map <i>dims</i> evenly. Try alpha 1e-4 … 1e-2. Too strong: everything
shrinks, the training loss stays high — underfitting.</p>
<h3>L1 (lasso)</h3>
<p>Adds <code>alpha · Σ |w|</code>. Pulls every weight by the same amount, so small weights end
at exactly zero: the weight map <i>empties</i> and the sparsity curve rises. Good when few inputs
matter. Too strong: whole units die.</p>
<h3>Dropout</h3>
<p>During training, each unit of the layer before is switched off with probability <i>rate</i>,
so no unit can rely on another; at test time all units work. Typical rates 0.2 … 0.5; too high
and the network cannot fit even the training set.</p>
<h3>Early stopping</h3>
<p>Stop when the validation loss has not improved for <i>patience</i> epochs, and put back the
weights of the best epoch. Free and always worth having; dotted lines on the Loss view show where
other patience values would have stopped.</p>
<h3>Data augmentation</h3>
<p>Show the network a randomly flipped, rotated, recoloured copy of each training image every
time, so it cannot memorise pixels. Only for images, and only transformations that keep the label
(a flipped 6 is not a 9… but a rotated 6 by 180° is!). Validation data is never augmented.</p>
<h3>Try this</h3>
<ol><li>Press Start with the default experiment: watch the gap open.</li>
<li>Open Regularization, choose L2 and move the slider while it trains: an orange line marks the
change, and the validation loss comes down.</li>
<li>Compare runs in the Runs list: tick one to overlay its validation loss.</li></ol>
"""


class TextDialog(QDialog):
    def __init__(self, title: str, html: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(620, 560)
        lay = QVBoxLayout(self)
        text = QTextBrowser()
        text.setOpenExternalLinks(True)
        text.setHtml(html)
        lay.addWidget(text)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
