"""Django admin for every model: the organizer's escape hatch when a screen is missing."""

from django.contrib import admin

from .models import BreakoutGroup, Paper, Prompt, Question, Section, Session, SessionPrompt


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["position", "title", "level"]
    extra = 0
    show_change_link = True


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "text", "section", "is_framing"]
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "lineage", "version", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "lineage", "source_name"]
    readonly_fields = ["sha256", "created_at", "published_at"]
    inlines = [SectionInline, QuestionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "paper", "position", "level"]
    list_filter = ["paper"]
    search_fields = ["title", "text"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "paper", "section", "is_framing", "position"]
    list_filter = ["is_framing", "paper"]
    search_fields = ["text"]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "paper", "kind", "position"]
    list_filter = ["kind", "paper"]
    list_select_related = ["question", "section", "paper"]


class SessionPromptInline(admin.TabularInline):
    model = SessionPrompt
    extra = 0


class BreakoutGroupInline(admin.TabularInline):
    model = BreakoutGroup
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "paper", "created_at"]
    search_fields = ["name", "code"]
    inlines = [SessionPromptInline, BreakoutGroupInline]


@admin.register(BreakoutGroup)
class BreakoutGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "session", "position"]
    list_filter = ["session"]
