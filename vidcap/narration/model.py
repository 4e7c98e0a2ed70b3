"""The narrator model: per-frame CNN features and per-shot facts flow into an encoder LSTM whose
(h, c) state is carried across the whole video; a decoder LSTM attends over the current shot's
frames and writes its sentence word by word, conditioned on the previous cue. The shot's facts
also reach the decoder directly (its first state and every word's choice), so what perception
measured (a pan's direction, a colour, a return) is not lost among 1280 CNN features."""

from dataclasses import asdict, dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]


@dataclass
class ModelDimensions:
    n_features: int = 1280  # CNN feature size per frame
    n_facts: int = 264  # per-shot fact vector (facts.fact_vector_size())
    n_vocab: int = 200
    n_hidden: int = 192  # encoder and decoder LSTM width
    n_embed: int = 96
    max_words: int = 32

    def to_dict(self) -> dict:
        return asdict(self)


State = tuple[torch.Tensor, torch.Tensor]


class Narrator(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        self.dims = dims
        h = dims.n_hidden
        self.frame_in = nn.Sequential(nn.LayerNorm(dims.n_features + dims.n_facts + 1),
                                      nn.Linear(dims.n_features + dims.n_facts + 1, h), nn.ReLU())
        self.encoder = nn.LSTM(h, h, batch_first=True)
        self.embed = nn.Embedding(dims.n_vocab, dims.n_embed, padding_idx=PAD)
        # shot summary + previous cue + shot facts -> (h0, c0)
        self.init = nn.Linear(2 * h + dims.n_embed + dims.n_facts, 2 * h)
        self.decoder = nn.LSTMCell(dims.n_embed + h, h)
        self.attend = nn.Linear(h, h, bias=False)
        self.out = nn.Linear(2 * h + dims.n_facts, dims.n_vocab)

    def encode(self, features: torch.Tensor, facts: torch.Tensor, shot_starts: torch.Tensor,
               state: Optional[State] = None, lengths: Optional[list[int]] = None) -> tuple[torch.Tensor, State]:
        """Frames (B, T, n_features), their shot's facts (B, T, n_facts) and a 1 where a shot
        begins (B, T) -> encoder outputs (B, T, H) and the state to hand to the next chunk.
        `lengths`: each row's frames, where rows of different lengths are padded to T; the state
        handed on is then each row's at its own last frame, and outputs past it are zeros."""
        x = self.frame_in(torch.cat([features, facts, shot_starts.unsqueeze(-1)], dim=-1))
        if lengths is None:
            return self.encoder(x, state)
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.as_tensor(lengths, device="cpu"), batch_first=True,
                                                   enforce_sorted=False)
        out, state = self.encoder(packed, state)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0], state

    def start(self, memory: torch.Tensor, mask: torch.Tensor, previous: torch.Tensor,
              facts: torch.Tensor) -> State:
        """Decoder state from a shot's encoder outputs (B, S, H) (mask (B, S)), the previous
        cue's words (B, L) and the shot's facts (B, n_facts)."""
        m = mask.unsqueeze(-1).float()
        # each shot's own last frame: in training, shorter shots are padded to the longest
        last = memory[torch.arange(memory.shape[0], device=memory.device), (mask.sum(1) - 1).clamp(min=0)]
        summary = torch.cat([(memory * m).sum(1) / m.sum(1).clamp(min=1), last], dim=-1)
        words = (previous != PAD).unsqueeze(-1).float()
        said = (self.embed(previous) * words).sum(1) / words.sum(1).clamp(min=1)
        h, c = torch.tanh(self.init(torch.cat([summary, said, facts], -1))).chunk(2, -1)
        return h.contiguous(), c.contiguous()

    def step(self, word: torch.Tensor, state: State, memory: torch.Tensor, mask: torch.Tensor,
             facts: torch.Tensor):
        """One word (B,) -> log-probabilities of the next (B, V) and the new state."""
        h, c = state
        scores = torch.einsum("bsh,bh->bs", memory, self.attend(h)).masked_fill(~mask, -1e9)
        context = torch.einsum("bs,bsh->bh", scores.softmax(-1), memory)
        h, c = self.decoder(torch.cat([self.embed(word), context], -1), (h, c))
        return F.log_softmax(self.out(torch.cat([h, context, facts], -1)), -1), (h, c)

    def loss(self, memory, mask, previous, facts, target) -> torch.Tensor:
        """Teacher-forced cross-entropy of target sentences (B, L) (BOS ... EOS, PAD after)."""
        state = self.start(memory, mask, previous, facts)
        total, count = 0.0, 0
        for t in range(target.shape[1] - 1):
            logp, state = self.step(target[:, t], state, memory, mask, facts)
            keep = target[:, t + 1] != PAD
            total = total + F.nll_loss(logp, target[:, t + 1], reduction="sum", ignore_index=PAD)
            count += int(keep.sum())
        return total / max(count, 1)

    @torch.inference_mode()
    def generate(self, memory, mask, previous, facts, allowed: Optional[torch.Tensor] = None) -> list[int]:
        """Greedy decoding for one shot (batch of 1): word ids without BOS/EOS. Padding, BOS and
        unknown words are never chosen; `allowed` (n_vocab,) bool, when given, limits the
        choice to those words (and EOS)."""
        blocked = torch.zeros(self.dims.n_vocab, dtype=torch.bool, device=memory.device)
        blocked[[PAD, BOS, UNK]] = True
        if allowed is not None:
            blocked |= ~allowed
            blocked[EOS] = False
        state = self.start(memory, mask, previous, facts)
        words = [BOS]
        for _ in range(self.dims.max_words):
            logp, state = self.step(torch.tensor([words[-1]], device=memory.device), state, memory, mask, facts)
            words.append(int(logp[0].masked_fill(blocked, -torch.inf).argmax()))
            if words[-1] == EOS:
                break
        return [w for w in words[1:] if w != EOS]


def save_checkpoint(model: Narrator, vocab: list[str], folder: str, extra: Optional[dict] = None):
    """safetensors weights (float16) + config.json with dimensions and vocabulary; no pickle."""
    import json
    import os

    from safetensors.torch import save_file

    from .writers import atomic_write

    os.makedirs(folder, exist_ok=True)
    weights = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()}
    tmp = os.path.join(folder, ".model.safetensors.tmp")
    save_file(weights, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(folder, "model.safetensors"))
    config = {"dims": model.dims.to_dict(), "vocab": vocab, **(extra or {})}
    atomic_write(os.path.join(folder, "config.json"), json.dumps(config, indent=1) + "\n")


def load_checkpoint(folder: str, device: torch.device = torch.device("cpu")) -> tuple[Narrator, list[str], dict]:
    import json
    import os

    from safetensors.torch import load_file

    from ..errors import VidcapError

    try:
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        weights = load_file(os.path.join(folder, "model.safetensors"))
    except (OSError, ValueError) as e:
        raise VidcapError(f"cannot load narrator model from {folder}: {e}") from e
    model = Narrator(ModelDimensions(**config["dims"]))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)
    return model.to(device).eval(), config["vocab"], config
