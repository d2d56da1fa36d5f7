from tests.helpers import Api


async def test_login_and_me(api: Api) -> None:
    citizen = await api.citizen()
    me = await api.client.get("/api/v1/me", headers=citizen.headers)
    assert me.json()["name_masked"] == "张*"
