"""LoCo: locality-aware cross-modal correspondence learning for dense audio-visual event localization.

The science of LoCo Studio; importable without Streamlit. LCC and CDP follow our specification, a reconstruction
from the paper's abstract (the authors' code is not public): see the model card in ``assets/``.
"""

__version__ = "0.1.0"
