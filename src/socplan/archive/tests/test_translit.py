from socplan.archive.translit import search_key, to_latin


def test_the_transliteration_act():
    assert to_latin("Иван Петров") == "Ivan Petrov"
    assert to_latin("София") == "Sofia" and to_latin("България") == "Bulgaria"
    assert to_latin("Щерев Жечо Цветанов") == "Shterev Zhecho Tsvetanov"
    assert to_latin("ЩЕРЕВ") == "SHTEREV"
    assert to_latin("Юлия Янкова Ъглева") == "Yulia Yankova Agleva"
    assert to_latin("Българска") == "Balgarska"
    # "ия" becomes "ia" only at the end of a word.
    assert to_latin("Иясен") == "Iyasen"
    assert to_latin("ул. „Витоша“ №6") == "ul. „Vitosha“ №6"


def test_a_name_meets_itself_in_either_alphabet():
    assert search_key("Иванов") == search_key("IVANOV") == search_key("  ivanov ") == "ivanov"
    assert search_key("Петър-Георгиев") == search_key("PETAR GEORGIEV")
