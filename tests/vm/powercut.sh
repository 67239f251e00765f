test_powercut() { result powercut FAIL "not written yet"; }
