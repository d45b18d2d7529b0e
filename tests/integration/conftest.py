# The projects under projects/ are oxzep7's test subjects, run inside containers;
# their own (deliberately failing, hanging) tests are not this suite's tests.
collect_ignore = ["projects"]
