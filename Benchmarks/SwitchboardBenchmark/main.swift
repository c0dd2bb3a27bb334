import SwitchboardHub
print("bench")
