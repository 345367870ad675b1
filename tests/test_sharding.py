from wsgcn.sharding import make_shards, shard_count, shard_index


def _membership(shards):
    return {image_id: name for name, ids in shards.items() for image_id in ids}


def test_shard_count_is_smallest_sufficient_power_of_two():
    assert shard_count(0, 100) == 1
    assert shard_count(100, 100) == 1
    assert shard_count(101, 100) == 2
    assert shard_count(10_582, 100) == 128


def test_adding_one_id_changes_exactly_one_shard():
    ids = [f"2008_{i:06d}" for i in range(1000)]
    before = make_shards(ids, 100)  # 1000 ids -> 16 shards of ~62
    after = make_shards([*ids, "2012_999999"], 100)
    changed = [name for name in after if after[name] != before.get(name)]
    assert len(changed) == 1 and "2012_999999" in after[changed[0]]


def test_membership_does_not_depend_on_list_order():
    ids = [f"img{i}" for i in range(300)]
    assert _membership(make_shards(ids, 50)) == _membership(make_shards(list(reversed(ids)), 50))


def test_doubling_refines_shards():
    ids = [f"x{i}" for i in range(500)]
    for image_id in ids:
        assert shard_index(image_id, 16) % 8 == shard_index(image_id, 8)


def test_every_id_in_exactly_one_shard_and_one_per_shard_mode():
    ids = [f"x{i}" for i in range(77)]
    shards = make_shards(ids, 10)
    assert sorted(i for members in shards.values() for i in members) == sorted(ids)
    singles = make_shards(["b", "a"], 1)
    assert singles == {"img-a": ["a"], "img-b": ["b"]}
