"""Project stewards of major projects (项目管家, "1+1+N"): the steps' forms and bodies, the case
page's section, the API's read of the team and the demo project. The rules are in
app/domain/projects.py."""
