class Oops(
    def execute(self):
        pass
